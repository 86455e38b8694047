import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openZipEntry, readZipDirectory, selectCsvEntry } from '../../../connectors/binance-archive/unzip.js';
import { readLines } from '../../../connectors/binance-archive/csv.js';
import { sha256OfFile } from '../../../connectors/binance-archive/fetch.js';
import { parseChecksumText } from '../../../connectors/binance-archive/checksum.js';
import { realFixture, realFixtureText } from '../../support/fixtures.js';
import { writeZip } from '../../support/archive-zip.js';

async function csvOf(path: string, expected: string): Promise<string> {
  const size = (await stat(path)).size;
  const entry = selectCsvEntry(await readZipDirectory(path, size), expected, path);
  const parts: Buffer[] = [];
  for await (const chunk of await openZipEntry(path, entry)) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

describe('zip reader', () => {
  let dir = '';
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'unzip-test-')); });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  it('reads the real archive members byte for byte like unzip -p', async () => {
    for (const name of ['BTCUSDT-1m-2020-01-01.zip', 'BTCUSD_PERP-aggTrades-2026-05-08.zip', 'BTCUSDT-fundingRate-2026-04.zip']) {
      assert.equal(await csvOf(realFixture(name), name.replace('.zip', '.csv')), realFixtureText(name), name);
    }
  });

  it('picks the CSV member and ignores the __MACOSX resource fork', async () => {
    const path = realFixture('2022-04-21_aggregate_trade_updates.zip');
    const entries = await readZipDirectory(path, (await stat(path)).size);
    assert.ok(entries.some((e) => e.name.startsWith('__MACOSX/')));
    const text = await csvOf(path, 'something-else.csv');
    assert.ok(text.startsWith('File Path,Original File Checksum,New File Checksum'));
  });

  it('rejects a truncated zip before reading any row', async () => {
    const bytes = await readFile(realFixture('BTCUSDT-1m-2020-01-01.zip'));
    const path = join(dir, 'truncated.zip');
    await writeFile(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await assert.rejects(readZipDirectory(path, (await stat(path)).size, 'truncated.zip'), /truncated.zip: corrupt or truncated zip: no end-of-central-directory record/);
  });

  it('fails the member stream on a CRC-32 mismatch', async () => {
    const path = join(dir, 'crc.zip');
    await writeZip(path, [{ name: 'a.csv', content: ['1,2,3\n'.repeat(1000)] }]);
    const bytes = await readFile(path);
    bytes.writeUInt32LE(0xdeadbeef, bytes.length - 22 - (46 + 5) + 16);
    await writeFile(path, bytes);
    await assert.rejects(csvOf(path, 'a.csv'), /CRC-32 mismatch/);
  });

  it('fails a deflated member whose stored size is wrong at its end (zlib checks the size and CRC-32 as it inflates)', async () => {
    const path = join(dir, 'size.zip');
    await writeZip(path, [{ name: 'a.csv', content: ['1,2,3\n'.repeat(1000)] }]);
    const bytes = await readFile(path);
    const central = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    assert.equal(bytes.readUInt16LE(central + 10), 8, 'deflated');
    bytes.writeUInt32LE(5999, central + 24); // uncompressed size, one byte short
    await writeFile(path, bytes);
    await assert.rejects(csvOf(path, 'a.csv'), /a\.csv: inflated size differs from the 5999 bytes expected|a\.csv: 6000 bytes inflated, 5999 expected/);
    const intact = join(dir, 'intact.zip');
    await writeZip(intact, [{ name: 'a.csv', content: ['1,2,3\n'.repeat(1000)] }]);
    assert.equal(await csvOf(intact, 'a.csv'), '1,2,3\n'.repeat(1000));
  });

  it('rejects a zip without a CSV member, naming the members', async () => {
    const path = join(dir, 'nocsv.zip');
    await writeZip(path, [{ name: 'readme.txt', content: ['hello'] }]);
    const entries = await readZipDirectory(path, (await stat(path)).size);
    assert.throws(() => selectCsvEntry(entries, 'X.csv', 'nocsv.zip'), /nocsv.zip: zip holds no CSV member X.csv \(members: readme.txt\)/);
  });

  it('hashes the real archives to their published checksums', async () => {
    for (const name of ['BTCUSDT-1m-2020-01-01.zip', 'BTCUSDT-1h-2026-05-08.zip']) {
      const { sha256 } = await sha256OfFile(realFixture(name));
      assert.equal(sha256, parseChecksumText(realFixtureText(`${name}.CHECKSUM`)));
    }
  });
});

describe('readLines', () => {
  it('splits across chunk borders, strips CR and keeps a last line without newline', async () => {
    const chunks = [Buffer.from('a,1\r\nb,'), Buffer.from('2\nc'), Buffer.from(',3')];
    const lines: string[] = [];
    for await (const batch of readLines(toAsync(chunks))) lines.push(...batch);
    assert.deepEqual(lines, ['a,1', 'b,2', 'c,3']);
  });

  it('keeps a multi-byte character split between chunks whole', async () => {
    const bytes = Buffer.from('x,é\n');
    const lines: string[] = [];
    for await (const batch of readLines(toAsync([bytes.subarray(0, 3), bytes.subarray(3)]))) lines.push(...batch);
    assert.deepEqual(lines, ['x,é']);
  });
});

async function* toAsync(chunks: Buffer[]): AsyncGenerator<Buffer> {
  for (const chunk of chunks) yield chunk;
}
