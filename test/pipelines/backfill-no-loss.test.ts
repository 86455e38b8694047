/**
 * `lakehouse backfill` loses nothing silently and loads nothing twice: rows out of place and repeated, rows of
 * other days, rejected rows counted once, empty files named, oversized or hopeless files refused whole, and
 * links out of an `--archive DIR` refused.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { backfillCommand } from '../../pipelines/backfill.js';
import { planArchiveFiles, parseTypeRequests, type ArchiveFile } from '../../connectors/binance-archive/plan.js';
import { writeArchiveFile } from '../support/archive-mirror.js';
import { writeChecksum, writeZip } from '../support/archive-zip.js';
import { removeTempDirs, runBackfillJson, runCommand, tempDir } from './backfill-support.js';

after(removeTempDirs);

const DAY = Date.UTC(2025, 6, 1);
const fileOf = (type: string, day = '2025-07-01'): ArchiveFile => {
  const [file] = planArchiveFiles({ markets: ['spot'], symbols: ['BTCUSDT'], types: parseTypeRequests([type]), fromDay: day, toDay: day });
  assert.ok(file !== undefined);
  return file;
};
/** A spot trade of 2025-07-01 (µs), `ms` after midnight unless given. */
const trade = (id: number, ms = id * 1000, price = '100.00000000'): string => `${id},${price},0.50000000,50.00000000,${(DAY + ms) * 1000},True,True`;
const kline = (openMs: number, low = '7183.14'): string => `${openMs},7195.24,7196.25,${low},7186.68,51.642812,${openMs + 3_599_999},371233.51835535,493,19.320202,138880.04173493,0`;
const args = (type: string, dir: string, lake: string, day = '2025-07-01'): string[] => ['--market', 'spot', '--symbols', 'BTCUSDT', '--types', type, '--from', '2025-07-01', '--to', day, '--archive', dir, '--lake', lake];

async function lakeQuery(lake: string, sql: string): Promise<Record<string, unknown>[]> {
  const { queryLake } = await import('../../connectors/parquet/query-lake.js');
  return queryLake({ root: lake, sql });
}

/** Files under `lake` outside its manifest. */
async function lakeFiles(lake: string): Promise<string[]> {
  const entries = await readdir(lake, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).filter((f) => !f.includes('_manifest'));
}

describe('lakehouse backfill: order is not an error', () => {
  it('loads every distinct trade id once from a file with rows out of place and verbatim repeats far apart, and exits 0', async () => {
    const dir = await tempDir('order');
    const ids = Array.from({ length: 30_000 }, (_, i) => i + 1);
    [ids[100], ids[101]] = [ids[101] as number, ids[100] as number];
    ids.splice(203, 0, ...ids.splice(200, 1)); // one row three places late
    const lines = ids.map((id) => trade(id));
    lines.splice(50, 0, trade(40)); // verbatim, 10 rows later
    lines.splice(25_000, 0, trade(300)); // verbatim, in another batch
    await writeArchiveFile(dir, fileOf('trades'), { lines });
    const lake = await tempDir('lake');
    const run = await runBackfillJson(backfillCommand, [...args('trades', dir, lake), '--batch-rows', '5000']);
    assert.equal(run.exitCode, 0, run.stdout);
    assert.deepEqual([run.report.rows, run.report.duplicateRows, run.report.rejectedRows], [30_000, 2, 0]);
    assert.deepEqual(await lakeQuery(lake, 'SELECT count(*)::INTEGER AS n, count(DISTINCT tradeId)::INTEGER AS ids FROM trades'), [{ n: 30_000, ids: 30_000 }]);
  });

  it('rejects a repeat with other values to the DLQ (the first row wins) and exits 3', async () => {
    const dir = await tempDir('conflict');
    await writeArchiveFile(dir, fileOf('trades'), { lines: [trade(1), trade(2), trade(3), trade(2, 2000, '999.00000000'), trade(4)] });
    const lake = await tempDir('lake');
    const run = await runBackfillJson(backfillCommand, args('trades', dir, lake));
    assert.equal(run.exitCode, 3, run.stdout);
    assert.deepEqual([run.report.rows, run.report.rejectedRows, run.report.duplicateRows], [4, 1, 0]);
    assert.deepEqual(await lakeQuery(lake, 'SELECT price FROM trades WHERE tradeId = 2'), [{ price: 100 }]);
    const [dead] = await lakeQuery(lake, 'SELECT reason, raw FROM deadLetters');
    assert.match(String(dead?.reason), /conflicting duplicate: tradeId 2 is already at line 2/);
    assert.equal(dead?.raw, trade(2, 2000, '999.00000000'));
  });
});

describe('lakehouse backfill: rows outside their file', () => {
  it('does not load rows of another day (or year 2200) from a daily file, so loading that day later adds no duplicate', async () => {
    const dir = await tempDir('days');
    const stray = trade(2, 86_400_000 + 5000); // a row of 2025-07-02 in the file of 2025-07-01
    await writeArchiveFile(dir, fileOf('trades'), { lines: [trade(1), stray, trade(3, Date.UTC(2200, 0, 1) - DAY)] });
    await writeArchiveFile(dir, fileOf('trades', '2025-07-02'), { lines: [stray, trade(4, 86_400_000 + 6000)] });
    const lake = await tempDir('lake');
    const first = await runBackfillJson(backfillCommand, args('trades', dir, lake));
    assert.equal(first.exitCode, 0, first.stdout);
    assert.deepEqual([first.report.rows, first.report.outOfRangeRows], [1, 2]);
    const second = await runBackfillJson(backfillCommand, args('trades', dir, lake, '2025-07-02'));
    assert.equal(second.report.rows, 2);
    assert.deepEqual(await lakeQuery(lake, 'SELECT tradeId::INTEGER AS id FROM trades ORDER BY id'), [{ id: 1 }, { id: 2 }, { id: 4 }]);
    assert.ok((await lakeFiles(lake)).every((f) => !f.includes('date=2200')), 'no partition of year 2200');
  });
});

describe('lakehouse backfill report counts', () => {
  it('counts a row validation rejected as rejected only, not loaded too', async () => {
    const dir = await tempDir('counts');
    const opens = Array.from({ length: 24 }, (_, h) => DAY + h * 3_600_000);
    await writeArchiveFile(dir, fileOf('klines:1h'), { lines: opens.map((o, h) => kline(o, h % 6 === 0 ? '9999' : '7183.14')) });
    const lake = await tempDir('lake');
    const run = await runBackfillJson(backfillCommand, args('klines:1h', dir, lake));
    assert.equal(run.exitCode, 3, run.stdout);
    assert.deepEqual([run.report.rows, run.report.rejectedRows], [20, 4]);
    assert.deepEqual(await lakeQuery(lake, 'SELECT count(*)::INTEGER AS n FROM klines_1h'), [{ n: 20 }]);
    assert.match(run.stdout, /"rows":20,/);
  });

  it('names an empty and a header-only file in the report and exits 0 (upstream published no rows)', async () => {
    const dir = await tempDir('empty');
    const write = async (file: ArchiveFile, body: string): Promise<void> => {
      const path = join(dir, file.key);
      const { sha256 } = await writeZip(path, [{ name: file.key.slice(file.key.lastIndexOf('/') + 1).replace(/\.zip$/, '.csv'), content: [body] }]);
      await writeChecksum(path, sha256, true);
    };
    await write(fileOf('aggTrades'), '');
    await write(fileOf('aggTrades', '2025-07-02'), 'agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker,is_best_match\n');
    const lake = await tempDir('lake');
    const json = await runBackfillJson(backfillCommand, args('aggTrades', dir, lake, '2025-07-02'));
    assert.equal(json.exitCode, 0, json.stdout);
    assert.deepEqual([json.report.loaded, json.report.empty], [2, 2]);
    assert.deepEqual(json.report.files.map((f) => [f.status, f.reason]).sort(), [['empty', 'empty file, no rows'], ['empty', 'header only, no rows']]);
    const human = await runCommand(backfillCommand, [...args('aggTrades', dir, await tempDir('lake'), '2025-07-02')]);
    assert.match(human.stdout, /EMPTY .*BTCUSDT-aggTrades-2025-07-01\.zip: empty file, no rows/);
  });
});

describe('lakehouse backfill limits', () => {
  it('fails a file with more rejected rows than --max-dead-letters and publishes none of it, dead letters included', async () => {
    const dir = await tempDir('cap');
    await writeArchiveFile(dir, fileOf('trades'), { lines: [trade(1), 'x', trade(2), 'y', 'z', trade(3)] });
    const lake = await tempDir('lake');
    const run = await runBackfillJson(backfillCommand, [...args('trades', dir, lake), '--max-dead-letters', '2']);
    assert.equal(run.exitCode, 1, run.stdout);
    assert.match(run.report.files[0]?.reason ?? '', /more than 2 rows rejected \(--max-dead-letters\); the file is treated as corrupt/);
    assert.deepEqual([run.report.rows, run.report.rejectedRows], [0, 0]);
    assert.deepEqual(await lakeFiles(lake), []);
    const loose = await runBackfillJson(backfillCommand, [...args('trades', dir, await tempDir('lake')), '--max-dead-letters', '3']);
    assert.deepEqual([loose.exitCode, loose.report.rows, loose.report.rejectedRows], [3, 3, 3]);
  });

  it('fails a file with a line longer than --max-line-bytes, publishing none of it; checks the option once', async () => {
    const dir = await tempDir('long');
    await writeArchiveFile(dir, fileOf('trades'), { lines: [trade(1), `2,${'1'.repeat(3000)}`, trade(3)] });
    const lake = await tempDir('lake');
    const run = await runBackfillJson(backfillCommand, [...args('trades', dir, lake), '--max-line-bytes', '2048']);
    assert.equal(run.exitCode, 1, run.stdout);
    assert.match(run.report.files[0]?.reason ?? '', /line 2 is longer than 2048 bytes \(--max-line-bytes\)/);
    assert.deepEqual(await lakeFiles(lake), []);
    await assert.rejects(runCommand(backfillCommand, [...args('trades', dir, lake), '--max-line-bytes', '10']),
      (error: Error) => error.name === 'ConfigError' && /--max-line-bytes expects an integer from 1024/.test(error.message)); // exit 2 (cli.ts)
    await assert.rejects(runCommand(backfillCommand, [...args('trades', dir, lake), '--max-dead-letters=1.5']), /--max-dead-letters expects an integer of at least 0, got "1.5"/);
  });
});

describe('lakehouse backfill --archive DIR and links', () => {
  it('refuses a .CHECKSUM or zip linking outside the directory without quoting the target, and follows links inside it', async () => {
    const outside = await tempDir('outside');
    const secret = join(outside, 'secret.txt');
    await writeFile(secret, 'SECRET-TOKEN-0123456789 do not print\n');
    const dir = await tempDir('links');
    const day1 = await writeArchiveFile(dir, fileOf('trades'), { lines: [trade(1)] });
    const day2 = await writeArchiveFile(dir, fileOf('trades', '2025-07-02'), { lines: [trade(5, 86_400_000 + 5000)] });
    const day3 = fileOf('trades', '2025-07-03');
    await unlink(`${day1.path}.CHECKSUM`);
    await symlink(secret, `${day1.path}.CHECKSUM`);
    const foreign = await writeArchiveFile(outside, day2.file, { lines: [trade(6, 86_400_000 + 6000)] });
    await unlink(day2.path);
    await symlink(foreign.path, day2.path);
    // A link within the archive: day 3's zip is day 2's original bytes under another name.
    const inside = await writeArchiveFile(join(dir, 'elsewhere'), day3, { lines: [trade(9, 2 * 86_400_000 + 9000)] });
    const day3Path = join(dir, day3.key);
    await symlink(inside.path, day3Path);
    await symlink(`${inside.path}.CHECKSUM`, `${day3Path}.CHECKSUM`);
    const run = await runCommand(backfillCommand, [...args('trades', dir, await tempDir('lake'), '2025-07-03'), '--json']);
    const report = JSON.parse(run.stdout) as { loaded: number; failed: number; files: { key: string; reason: string }[] };
    assert.equal(run.exitCode, 1, run.stdout);
    assert.deepEqual([report.loaded, report.failed], [1, 2]);
    for (const file of report.files) assert.match(file.reason, /refused, it links outside the archive directory/);
    assert.doesNotMatch(run.stdout + run.stderr, /SECRET/);
  });
});
