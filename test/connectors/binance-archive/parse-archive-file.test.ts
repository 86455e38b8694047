import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { KlineRecord } from '../../../schemas/records.js';
import { planArchiveFiles, parseTypeRequests, type ArchiveFile } from '../../../connectors/binance-archive/plan.js';
import { PARSE_CHUNK_ROWS, parseArchiveFile } from '../../../connectors/binance-archive/parse-archive-file.js';
import { mapArchiveKline } from '../../../connectors/binance-archive/map-archive-kline.js';
import { RowCursor } from '../../../connectors/binance-archive/row-cursor.js';
import { writeArchiveFile } from '../../support/archive-mirror.js';
import { writeChecksum, writeZip } from '../../support/archive-zip.js';
import { parseAll } from '../../support/parse-all.js';
import { removeTempDirs, tempDir } from '../../pipelines/backfill-support.js';

after(removeTempDirs);

const planned = (market: 'spot' | 'um', type: string): ArchiveFile => {
  const [file] = planArchiveFiles({ markets: [market], symbols: ['BTCUSDT'], types: parseTypeRequests([type]), fromDay: '2025-07-01', toDay: '2025-07-01' });
  assert.ok(file !== undefined);
  return file;
};

async function zipOf(file: ArchiveFile, body: Buffer): Promise<string> {
  const path = join(await tempDir('parse-archive'), file.key);
  const { sha256 } = await writeZip(path, [{ name: file.key.slice(file.key.lastIndexOf('/') + 1).replace(/\.zip$/, '.csv'), content: [body] }]);
  await writeChecksum(path, sha256, true);
  return path;
}

const row = (openMs: number, open = '7195.24000000'): string => `${openMs},${open},7196.25,7183.14,7186.68,51.642812,${openMs + 59_999},371233.51835535,493,19.320202,138880.04173493,0`;

describe('parseArchiveFile', () => {
  it('reads a 1s klines file spanning many inflate chunks exactly like mapping each line alone', async () => {
    const file = planned('spot', 'klines:1s');
    const generated = await writeArchiveFile(await tempDir('parse-archive'), file, { eventsPerDay: 0, maxRows: 6000 });
    const { records, dead, stats } = await parseAll(generated.path, file, 1000);
    assert.equal(dead.length, 0);
    assert.equal(stats.rows, 6000);
    const lines = execFileSync('unzip', ['-p', generated.path]).toString('utf8').trim().split('\n');
    assert.ok(lines.join('\n').length > 3 * (1 << 18), 'the member is larger than three inflate chunks');
    const context = { market: 'spot' as const, symbol: 'BTCUSDT', interval: '1s' as const, priceKind: 'trade' as const, ingestId: file.key, version: 1 };
    assert.deepEqual(records, lines.map((l) => mapArchiveKline(new RowCursor().reset(l), context)));
    assert.equal((records[1] as KlineRecord).openTimeUs - (records[0] as KlineRecord).openTimeUs, 1_000_000);
  });

  it('yields chunks of PARSE_CHUNK_ROWS records by default (short-lived, so they die young), the last one shorter', async () => {
    const file = planned('spot', 'klines:1s');
    const generated = await writeArchiveFile(await tempDir('parse-archive'), file, { eventsPerDay: 0, maxRows: 5000 });
    const sizes: number[] = [];
    for await (const chunk of parseArchiveFile(generated.path, generated.size, file, { version: 1 })) sizes.push(chunk.records.length);
    assert.equal(PARSE_CHUNK_ROWS, 2048);
    assert.deepEqual(sizes, [2048, 2048, 904]);
  });

  it('with cutEvery, also ends a chunk at every multiple of it, so whole chunks make batches of exactly that size', async () => {
    const file = planned('spot', 'klines:1s');
    const generated = await writeArchiveFile(await tempDir('parse-archive'), file, { eventsPerDay: 0, maxRows: 12_000 });
    const sizes: number[] = [];
    for await (const chunk of parseArchiveFile(generated.path, generated.size, file, { version: 1, cutEvery: 5000 })) sizes.push(chunk.records.length);
    assert.deepEqual(sizes, [2048, 2048, 904, 2048, 2048, 904, 2000]);
  });

  it('sends malformed, non-ASCII and duplicated rows to dead letters with file and line (CRLF, header, blank lines, no final newline) and loads the rest', async () => {
    const file = planned('um', 'klines:1m');
    const t = Date.UTC(2025, 6, 1);
    const body = Buffer.concat([
      Buffer.from(`open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\r\n${row(t)}\r\n\r\n`),
      Buffer.from(`${row(t + 60_000, '7195.2x')}\r\n${row(t + 60_000, '７１９５')}\r\n`),
      Buffer.from([0x31, 0xff, 0xfe, 0x2c, 0x0d, 0x0a]),
      Buffer.from(`${row(t + 60_000)}\r\n${row(t + 60_000)}\r\n${row(t + 120_000).replace(/^\d+/, String((t + 120_000) * 1000))}`),
    ]);
    const { records, dead, stats } = await parseAll(await zipOf(file, body), file);
    assert.equal(stats.header, true);
    assert.deepEqual(records.map((r) => (r as KlineRecord).openTimeUs), [t * 1000, (t + 60_000) * 1000, (t + 120_000) * 1000]);
    assert.equal((records[0] as KlineRecord).open, 7195.24);
    assert.deepEqual(dead.map((d) => d.originLine), [4, 5, 6, 8]);
    assert.ok(dead.every((d) => d.originFile === file.key && d.ingestId === `${file.key}#L${d.originLine}` && d.reason.startsWith(`${file.key} line ${d.originLine}: `)));
    assert.match(dead[0]?.reason ?? '', /column open: expected a decimal number, got "7195.2x"/);
    assert.equal(dead[1]?.raw, row(t + 60_000, '７１９５'));
    assert.match(dead[2]?.reason ?? '', /column open_time: expected a non-negative integer, got "1\uFFFD\uFFFD"/);
    assert.equal(dead[2]?.raw, '1\uFFFD\uFFFD,');
    assert.match(dead[3]?.reason ?? '', /duplicate row: openTimeUs \d+ already at line 7/);
    assert.deepEqual([stats.rows, stats.deadLetters, stats.duplicates], [3, 4, 1]);
  });
});
