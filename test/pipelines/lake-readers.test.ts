/**
 * Every table of a lake is read whole by pyarrow (Hive-style discovery, which skips files whose names start with
 * `_` or `.`, as Spark, Hive and Trino do) and by DuckDB, with equal row counts: a backfill's trades, USD-M
 * aggTrades, klines and dead letters, the gaps command's ledger and fills, and one batch of every kind written
 * under a live-style unit id. pyarrow is installed by .ci/run; without it the test skips, except under CI (or REQUIRE_INFRA=1).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { lastValueFrom, from, toArray } from 'rxjs';
import { partNameOf } from '../../connectors/parquet/lake-path.js';
import { toParquetLake } from '../../connectors/parquet/to-parquet-lake.js';
import type { RecordBatch } from '../../connectors/sink.js';
import { backfillCommand } from '../../pipelines/backfill.js';
import { gapsCommand } from '../../pipelines/gaps.js';
import { KIND_NAMES, type AnyRecord } from '../../schemas/records.js';
import { generateArchiveMirror, writeArchiveFile } from '../support/archive-mirror.js';
import { lakeDigest } from '../support/lake-digest.js';
import { sampleRecords } from '../support/sample-records.js';
import { servicesRequired } from '../support/services.js';
import { removeTempDirs, runCommand, tempDir } from './backfill-support.js';

after(removeTempDirs);

/** Rows per lake type through pyarrow: each `exchange=/market=/type=` directory read as a Hive-partitioned dataset. */
const PYARROW_COUNTS = `
import json, os, sys
import pyarrow.dataset as ds
root = sys.argv[1]
counts = {}
for exchange in sorted(os.listdir(root)):
    if not exchange.startswith('exchange='): continue
    for market in sorted(os.listdir(os.path.join(root, exchange))):
        for kind in sorted(os.listdir(os.path.join(root, exchange, market))):
            table = ds.dataset(os.path.join(root, exchange, market, kind), format='parquet', partitioning='hive').to_table()
            name = kind[len('type='):]
            counts[name] = counts.get(name, 0) + table.num_rows
print(json.dumps(counts))
`;

function pyarrowMissing(): boolean {
  return spawnSync('python3', ['-c', 'import pyarrow']).status !== 0;
}

test('pyarrow and DuckDB read the same rows from every table of a lake', { timeout: 300_000 }, async (t) => {
  if (pyarrowMissing()) {
    assert.ok(!servicesRequired(), 'pyarrow is missing under CI (.ci/run installs it)');
    t.skip('python3 with pyarrow not installed (pip install pyarrow)');
    return;
  }
  const archive = await tempDir('readers-archive');
  const lake = await tempDir('readers-lake');
  const days = ['--from', '2025-07-01', '--to', '2025-07-01', '--no-list', '--archive', archive, '--lake', lake];
  await generateArchiveMirror(archive, { markets: ['um'], symbols: ['BTCUSDT'], types: ['aggTrades', 'trades'], fromDay: '2025-07-01', toDay: '2025-07-01', eventsPerDay: 5_000 });
  const [spotTrades, spotKlines] = await generateArchiveMirror(archive, { markets: ['spot'], symbols: ['BTCUSDT'], types: ['trades', 'klines:1m'], fromDay: '2025-07-01', toDay: '2025-07-01', eventsPerDay: 2_000 });
  const lines = execFileSync('unzip', ['-p', spotTrades.path]).toString().trim().split('\n');
  await writeArchiveFile(archive, spotTrades.file, { lines: [...lines.slice(0, 10), 'not,a,trade', ...lines.slice(10)] });
  const klines = execFileSync('unzip', ['-p', spotKlines.path]).toString().trim().split('\n');
  await writeArchiveFile(archive, spotKlines.file, { lines: [...klines.slice(0, 100), ...klines.slice(160)] }); // an hour with a hole
  for (const [market, types] of [['um', 'aggTrades,trades'], ['spot', 'trades,klines:1m']]) {
    const run = await runCommand(backfillCommand, ['--market', market, '--symbols', 'BTCUSDT', '--types', types, ...days]);
    assert.ok(run.exitCode === 0 || run.exitCode === 3, run.stdout + run.stderr);
  }
  const gaps = await runCommand(gapsCommand, ['--lake', lake, '--market', 'spot', '--symbol', 'BTCUSDT', '--type', 'klines:1m', '--from', '2025-07-01', '--fill', 'flat']);
  assert.equal(gaps.exitCode, 0, gaps.stdout + gaps.stderr);
  const batches: RecordBatch[] = KIND_NAMES.map((kind) => {
    const records = sampleRecords(kind, 3).map((r) => ({ ...r, market: 'um', symbol: 'ETHUSDT', eventTimeUs: 1_751_328_000_123_456 })) as AnyRecord[];
    if (kind === 'kline') for (const r of records) Object.assign(r, { priceKind: 'mark', interval: '1h' });
    return { kind, unitId: `ws:btcusdt@${kind}.futures.um/._${'x'.repeat(40)}#0`, records };
  });
  await lastValueFrom(from(batches).pipe(toParquetLake({ root: lake, encodeInWorker: false }), toArray()));

  const duck = Object.fromEntries(Object.entries(await lakeDigest(lake)).map(([type, d]) => [type, d.rows]));
  for (const type of ['trades', 'aggTrades', 'klines_1m', 'deadLetters', 'gaps', 'markPriceKlines_1h', 'bookTicker']) assert.ok((duck[type] ?? 0) > 0, `${type}: ${JSON.stringify(duck)}`);
  const arrow = JSON.parse(execFileSync('python3', ['-c', PYARROW_COUNTS, lake]).toString()) as Record<string, number>;
  assert.deepEqual(arrow, duck);
  const parts = (await readdir(lake, { recursive: true })).filter((p) => p.endsWith('.parquet'));
  assert.deepEqual(parts.filter((p) => /^[._]/.test(p.slice(p.lastIndexOf('/') + 1))), [], 'no part is hidden from Hive-style readers');
});

test('a rerun over a lake whose parts carry names of the earlier version (starting with "_" or ".") replaces them: no duplicate rows', { timeout: 300_000 }, async () => {
  const archive = await tempDir('oldnames-archive');
  const lake = await tempDir('oldnames-lake');
  const [generated] = await generateArchiveMirror(archive, { markets: ['um'], symbols: ['BTCUSDT'], types: ['aggTrades'], fromDay: '2025-07-01', toDay: '2025-07-01', eventsPerDay: 5_000 });
  const args = ['--market', 'um', '--symbols', 'BTCUSDT', '--types', 'aggTrades', '--from', '2025-07-01', '--no-list', '--archive', archive, '--lake', lake];
  assert.equal((await runCommand(backfillCommand, [...args, '--batch-rows', '1000'])).exitCode, 0);
  // What the earlier version named these parts: the sanitized unit id's last 60 characters, dots and underscores included.
  const dir = join(lake, 'exchange=binance/market=um/type=aggTrades/symbol=BTCUSDT/date=2025-07-01');
  for (let n = 0; n < 5; n++) {
    const unitId = `${generated.key}@${generated.sha256.slice(0, 16)}#${n}`;
    const old = `${unitId.replace(/[^A-Za-z0-9._-]+/g, '_').slice(-60)}-${createHash('sha256').update(unitId).digest('hex').slice(0, 16)}.parquet`;
    assert.match(old, /^[._]/);
    await rename(join(dir, partNameOf(unitId)), join(dir, old));
  }
  await rm(join(lake, '_manifest'), { recursive: true });
  assert.equal((await runCommand(backfillCommand, [...args, '--batch-rows', '2000'])).exitCode, 0);
  assert.deepEqual((await readdir(dir)).filter((name) => /^[._]/.test(name)), []);
  assert.deepEqual((await lakeDigest(lake)).aggTrades.rows, 5_000);
});
