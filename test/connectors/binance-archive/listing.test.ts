import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectorError } from '../../../schemas/errors.js';
import { listAllPages, listingPageUrl, parseListingXml } from '../../../connectors/binance-archive/listing.js';
import { parseChecksumText } from '../../../connectors/binance-archive/checksum.js';
import { realFixtureText } from '../../support/fixtures.js';

const page = (keys: string[], truncated: boolean, next?: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>data.binance.vision</Name><IsTruncated>${truncated}</IsTruncated>${next === undefined ? '' : `<NextMarker>${next}</NextMarker>`}${keys.map((k) => (k.endsWith('/') ? `<CommonPrefixes><Prefix>${k}</Prefix></CommonPrefixes>` : `<Contents><Key>${k}</Key><LastModified>2026-04-01T08:06:34.000Z</LastModified><ETag>"e"</ETag><Size>1048</Size></Contents>`)).join('')}</ListBucketResult>`;

describe('bucket listing', () => {
  it('parses keys, sizes, LastModified, prefixes and escaped characters', () => {
    const parsed = parseListingXml(page(['data/spot/daily/klines/BTCUSDT/', 'data/a&amp;b.zip'], false));
    assert.deepEqual(parsed.prefixes, ['data/spot/daily/klines/BTCUSDT/']);
    assert.deepEqual(parsed.objects, [{ key: 'data/a&b.zip', size: 1048, lastModifiedMs: Date.parse('2026-04-01T08:06:34.000Z') }]);
    assert.equal(parsed.isTruncated, false);
  });

  it('follows NextMarker, or the last key when NextMarker is absent, until not truncated', async () => {
    const markers: (string | null)[] = [];
    const pages = [page(['k/1.zip', 'k/2.zip'], true, 'k/2.zip'), page(['k/3.zip'], true), page(['k/4.zip'], false)];
    const all = await listAllPages(async (marker) => { markers.push(marker); return pages[markers.length - 1] ?? ''; });
    assert.deepEqual(all.objects.map((o) => o.key), ['k/1.zip', 'k/2.zip', 'k/3.zip', 'k/4.zip']);
    assert.deepEqual(markers, [null, 'k/2.zip', 'k/3.zip']);
  });

  it('rejects a body that is not a listing', () => {
    assert.throws(() => parseListingXml('<!DOCTYPE html><html>502</html>'), /not an S3 listing/);
  });

  it('builds ListObjects URLs for the bucket endpoint and for mirrors', () => {
    assert.equal(listingPageUrl('https://s3-ap-northeast-1.amazonaws.com/data.binance.vision', 'data/spot/', null),
      'https://s3-ap-northeast-1.amazonaws.com/data.binance.vision?delimiter=%2F&prefix=data%2Fspot%2F');
    assert.equal(listingPageUrl('http://127.0.0.1:9/', 'data/', 'data/x'), 'http://127.0.0.1:9/?delimiter=%2F&prefix=data%2F&marker=data%2Fx');
  });
});

describe('CHECKSUM files', () => {
  it('parses the real file without a trailing newline and the one with it', () => {
    assert.equal(parseChecksumText(realFixtureText('BTCUSDT-1m-2020-01-01.zip.CHECKSUM')).length, 64);
    assert.ok(!realFixtureText('BTCUSDT-1m-2020-01-01.zip.CHECKSUM').endsWith('\n'));
    assert.ok(realFixtureText('BTCUSDT-1h-2026-05-08.zip.CHECKSUM').endsWith('\n'));
    assert.match(parseChecksumText(realFixtureText('BTCUSDT-1h-2026-05-08.zip.CHECKSUM')), /^[0-9a-f]{64}$/);
  });

  it('rejects an HTML page served as a CHECKSUM', () => {
    assert.throws(() => parseChecksumText('<html>Not Found</html>', 'x.zip.CHECKSUM'), /x.zip.CHECKSUM: not a sha256sum line/);
  });

  it('reads the first token of a sha256sum line with CRLF or upper-case hex, and takes a bad body as transient (retriable)', () => {
    const sha = 'dd579c62368ded93d3f01a1904575b932279e32936e181c062763e605793c1c2';
    assert.equal(parseChecksumText(`${sha.toUpperCase()}  BTCUSDT-1m-2020-01-01.zip\r\n`), sha);
    assert.equal(parseChecksumText(`${sha} *BTCUSDT-1m-2020-01-01.zip`), sha);
    assert.throws(() => parseChecksumText(`${sha.slice(1)}  x.zip`), (e: unknown) => e instanceof ConnectorError && e.retriable);
  });
});
