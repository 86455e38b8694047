import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { statSync } from 'node:fs';
import type { KlineRecord, TradeRecord } from '../../../schemas/records.js';
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
    assert.deepEqual(dead.map((d) => d.originLine), [4, 5, 6]);
    assert.ok(dead.every((d) => d.originFile === file.key && d.ingestId === `${file.key}#L${d.originLine}` && d.reason.startsWith(`${file.key} line ${d.originLine}: `)));
    assert.match(dead[0]?.reason ?? '', /column open: expected a decimal number, got "7195.2x"/);
    assert.equal(dead[1]?.raw, row(t + 60_000, '７１９５'));
    assert.match(dead[2]?.reason ?? '', /column open_time: expected a non-negative integer, got "1\uFFFD\uFFFD"/);
    assert.equal(dead[2]?.raw, '1\uFFFD\uFFFD,');
    assert.deepEqual([stats.rows, stats.deadLetters, stats.duplicates], [3, 3, 1], 'the verbatim repeat of line 7 is counted, not rejected');
  });
});

/** A spot trade row of 2025-07-01 (µs), id `id`, price text `price`. */
const tradeRow = (id: number, price = '100.00000000'): string => `${id},${price},0.50000000,50.00000000,${Date.UTC(2025, 6, 1) * 1000 + id * 1000},True,True`;

describe('parseArchiveFile: order is not an error', () => {
  it('loads every distinct trade id once from rows out of place, repeats verbatim several rows and 30,000 rows later (other chunks), a conflicting repeat to the DLQ', async () => {
    const file = planned('spot', 'trades');
    const ids = Array.from({ length: 40_000 }, (_, i) => i + 1);
    // Shuffled within a few rows: swap neighbours, move one id three rows back.
    [ids[10], ids[11]] = [ids[11] as number, ids[10] as number];
    const moved = ids.splice(20, 1)[0] as number;
    ids.splice(23, 0, moved);
    const lines = ids.map((id) => tradeRow(id));
    lines.splice(30, 0, tradeRow(25)); // verbatim, 5 rows after its original
    lines.splice(35_000, 0, tradeRow(4_000)); // verbatim, ~31,000 rows (and many chunks) later
    lines.splice(36_000, 0, tradeRow(500, '101.00000000')); // same id, other values
    const { records, dead, stats } = await parseAll(await zipOf(file, Buffer.from(`${lines.join('\n')}\n`)), file);
    const loaded = records.map((r) => (r as TradeRecord).tradeId);
    assert.equal(loaded.length, 40_000);
    assert.deepEqual([...loaded].sort((a, b) => a - b), Array.from({ length: 40_000 }, (_, i) => i + 1), 'every id once');
    assert.equal((records.find((r) => (r as TradeRecord).tradeId === 500) as TradeRecord).price, 100, 'the first row of an id wins');
    assert.deepEqual([stats.rows, stats.duplicates, stats.deadLetters], [40_000, 2, 1]);
    assert.equal(dead[0]?.errorName, 'DuplicateRow');
    assert.match(dead[0]?.reason ?? '', /conflicting duplicate: tradeId 500 is already at line 501 with other values/);
    assert.equal(dead[0]?.raw, tradeRow(500, '101.00000000'));
  });

  it('keeps one kline per open time when klines come out of order with a non-adjacent repeat', async () => {
    const file = planned('spot', 'klines:1m');
    const t = Date.UTC(2025, 6, 1);
    const opens = [0, 2, 1, 3, 5, 4, 2, 6].map((m) => t + m * 60_000);
    const { records, dead, stats } = await parseAll(await zipOf(file, Buffer.from(`${opens.map((o) => row(o)).join('\n')}\n`)), file);
    assert.deepEqual(records.map((r) => (r as KlineRecord).openTimeUs / 1000), [0, 2, 1, 3, 5, 4, 6].map((m) => t + m * 60_000));
    assert.deepEqual([dead.length, stats.duplicates], [0, 1]);
  });
});

describe('parseArchiveFile: rows outside their file', () => {
  it('counts rows of another day or of year 2200 in a daily file as out of range and does not load them', async () => {
    const file = planned('spot', 'klines:1m');
    const t = Date.UTC(2025, 6, 1);
    const body = [row(t), row(t - 60_000), row(t + 86_400_000), row(Date.UTC(2200, 0, 1)), row(t + 86_340_000)].join('\n');
    const { records, dead, stats } = await parseAll(await zipOf(file, Buffer.from(body)), file);
    assert.deepEqual(records.map((r) => (r as KlineRecord).openTimeUs / 1000), [t, t + 86_340_000], 'the day\'s first and last windows stay');
    assert.deepEqual([stats.outOfRange, dead.length], [3, 0]);
  });
});

describe('parseArchiveFile: limits', () => {
  const drain = async (path: string, file: ArchiveFile, options: { maxLineBytes?: number; maxDeadLetters?: number }): Promise<number> => {
    let rows = 0;
    for await (const chunk of parseArchiveFile(path, statSync(path).size, file, { version: 1, ...options })) rows += chunk.records.length;
    return rows;
  };

  it('fails a file with a line longer than maxLineBytes, split across inflate chunks or not, without buffering it whole', async () => {
    const file = planned('spot', 'trades');
    const long = await zipOf(file, Buffer.concat([Buffer.from(`${tradeRow(1)}\n`), Buffer.alloc(3 << 20, 0x41)]));
    await assert.rejects(drain(long, file, {}), (error: Error) => error.name === 'ConnectorError' && /line 2 is longer than 1048576 bytes \(--max-line-bytes\)/.test(error.message));
    const short = await zipOf(file, Buffer.from(`${tradeRow(1)}\n${tradeRow(2)},${'9'.repeat(200)}\n${tradeRow(3)}\n`));
    await assert.rejects(drain(short, file, { maxLineBytes: 100 }), /line 2 is longer than 100 bytes/);
    assert.equal(await drain(short, file, { maxLineBytes: 300 }), 3, 'two rows and the dead letter of the long one');
  });

  it('fails a file with more rejected rows than maxDeadLetters; cuts the raw text of a long rejected row', async () => {
    const file = planned('spot', 'trades');
    const bad = Array.from({ length: 50 }, (_, i) => `${i + 1},x`);
    const path = await zipOf(file, Buffer.from(`${bad.join('\n')}\n`));
    await assert.rejects(drain(path, file, { maxDeadLetters: 49 }), /more than 49 rows rejected \(--max-dead-letters\)/);
    assert.equal(await drain(path, file, { maxDeadLetters: 50 }), 50);
    const wide = `1,${'7'.repeat(5000)}x,0.5,50,${Date.UTC(2025, 6, 1) * 1000},True,True`;
    const { dead } = await parseAll(await zipOf(file, Buffer.from(`${wide}\n`)), file);
    assert.equal(dead[0]?.raw, `${wide.slice(0, 1024)}…[cut: ${wide.length} bytes]`);
    const quoted = /got (".*)$/.exec(dead[0]?.reason ?? '')?.[1] ?? '';
    assert.ok(quoted.length <= 80 && quoted.startsWith('"7777'), quoted);
  });

  it('tells an empty or header-only file by no lines', async () => {
    const file = planned('um', 'klines:1m');
    const header = await parseAll(await zipOf(file, Buffer.from('open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n')), file);
    assert.deepEqual([header.stats.header, header.stats.lines, header.stats.rows], [true, 0, 0]);
    const empty = await parseAll(await zipOf(file, Buffer.alloc(0)), file);
    assert.deepEqual([empty.stats.header, empty.stats.lines], [false, 0]);
  });
});
