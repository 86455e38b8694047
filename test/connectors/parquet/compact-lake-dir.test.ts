import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { from, lastValueFrom, toArray } from 'rxjs';
import { compactLakeDir } from '../../../connectors/parquet/compact-lake-dir.js';
import { deadMarkedDirs } from '../../../connectors/parquet/compaction-marks.js';
import { retiredNameOf } from '../../../connectors/parquet/lake-hidden-files.js';
import { lakeStoreFor } from '../../../connectors/parquet/lake-store-for.js';
import { startLakeWriter } from '../../../connectors/parquet/lake-writer.js';
import { toParquetLake } from '../../../connectors/parquet/to-parquet-lake.js';
import type { RecordBatch } from '../../../connectors/sink.js';
import type { KlineRecord, TradeRecord } from '../../../schemas/records.js';
import { makeVersion } from '../../../schemas/version.js';
import { sampleRecord } from '../../support/sample-records.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const TRADES = 'exchange=binance/market=spot/type=trades/symbol=BTCUSDT/date=2025-07-01';
const KLINES = 'exchange=binance/market=spot/type=klines_1m/symbol=BTCUSDT/date=2025-07-01';
const ARCHIVE = makeVersion('archive', Date.UTC(2025, 6, 2));
const LIVE = makeVersion('ws', Date.UTC(2025, 6, 1, 12));

function trade(id: number, version: number, price = 100): TradeRecord {
  return { ...sampleRecord('trade', id % 1000), market: 'spot', symbol: 'BTCUSDT', tradeId: id, version, price, source: version === ARCHIVE ? 'archive' : 'ws' };
}

function kline(i: number, version: number, isClosed: boolean): KlineRecord {
  return { ...sampleRecord('kline', i), market: 'spot', symbol: 'BTCUSDT', interval: '1m', priceKind: 'trade', version, isClosed };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

async function write(root: string, batches: readonly RecordBatch[]): Promise<void> {
  await lastValueFrom(from(batches).pipe(toParquetLake({ root, encodeInWorker: false }), toArray()));
}

/** A lake holding an archive copy and a live copy of trades 20–49 (and a replayed live batch), and open ws klines of which the archive closed half. */
async function twoLayerLake(root: string): Promise<void> {
  await write(root, [
    { kind: 'trade', unitId: 'archive#0', records: range(0, 50).map((id) => trade(id, ARCHIVE, 200)) },
    { kind: 'trade', unitId: 'live#0', records: range(20, 60).map((id) => trade(id, LIVE)) },
    { kind: 'trade', unitId: 'live#0-replayed', records: range(20, 60).map((id) => trade(id, LIVE)) },
    { kind: 'kline', unitId: 'live-klines#0', records: range(0, 10).map((i) => kline(i, LIVE, false)) },
    { kind: 'kline', unitId: 'archive-klines#0', records: range(0, 5).map((i) => kline(i, ARCHIVE, true)) },
  ]);
}

/** Every row of every `*.parquet` file under `dir` (not through the latest-version views): rows, distinct keys, and per key its version. */
async function filesOf(dir: string, key: string): Promise<{ rows: number; keys: number; versions: Map<string, number> }> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const rows = (await connection.runAndReadAll(`SELECT (${key})::VARCHAR AS k, version FROM read_parquet('${dir}/**/*.parquet', hive_partitioning = false)`)).getRowObjectsJS();
    const versions = new Map<string, number>();
    for (const row of rows) versions.set(String(row.k), Math.max(versions.get(String(row.k)) ?? 0, Number(row.version)));
    return { rows: rows.length, keys: versions.size, versions };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const tradeIds = (versions: Map<string, number>): number[] => [...versions.keys()].map(Number).sort((a, b) => a - b);

async function withLake(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'compact-'));
  try { await fn(root); } finally { await rm(root, { recursive: true, force: true }); }
}

async function hiddenIn(root: string, dir: string): Promise<string[]> {
  return (await readdir(join(root, dir))).filter((name) => name.startsWith('.'));
}

test('compaction leaves one row per identity key in a day partition, the highest version (archive over live, closed over open)', async () => {
  await withLake(async (root) => {
    await twoLayerLake(root);
    assert.equal((await filesOf(join(root, TRADES), 'tradeId')).rows, 130, 'before: every copy is stored');
    const writer = startLakeWriter(lakeStoreFor(root));
    try {
      const trades = await compactLakeDir(writer, TRADES);
      assert.deepEqual({ ...trades, dir: undefined }, { dir: undefined, parts: 3, rowsIn: 130, rowsOut: 60, written: 1, kept: 0 });
      const klines = await compactLakeDir(writer, KLINES);
      assert.equal(klines.rowsOut, 10);
      const again = await compactLakeDir(writer, TRADES);
      assert.equal(again.written, 0, 'a compacted directory is left as it is');
    } finally {
      await writer.close();
    }
    const t = await filesOf(join(root, TRADES), 'tradeId');
    assert.equal(t.rows, 60);
    assert.deepEqual(tradeIds(t.versions), range(0, 60));
    for (const [id, version] of t.versions) assert.equal(version, Number(id) < 50 ? ARCHIVE : LIVE, `trade ${id}`);
    const k = await filesOf(join(root, KLINES), 'openTimeUs');
    assert.equal(k.rows, 10);
    assert.deepEqual([...k.versions.values()].sort(), [...range(0, 5).map(() => ARCHIVE), ...range(5, 10).map(() => LIVE)].sort());
    assert.deepEqual(await hiddenIn(root, TRADES), []);
    const prices = await filesOfPrices(join(root, TRADES));
    assert.equal(prices.get(25), 200, 'the archive row itself, not only its version');
  });
});

async function filesOfPrices(dir: string): Promise<Map<number, number>> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const rows = (await connection.runAndReadAll(`SELECT tradeId, price FROM read_parquet('${dir}/*.parquet')`)).getRowObjectsJS();
    return new Map(rows.map((r) => [Number(r.tradeId), Number(r.price)]));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Runs a compaction of `dir` in a child process that kills itself (SIGKILL) right after `step`. */
function compactAndDie(root: string, dir: string, step: string): Promise<NodeJS.Signals | null> {
  const module = (name: string): string => JSON.stringify(new URL(`../../../connectors/parquet/${name}.ts`, import.meta.url).href);
  const script = `
    const { compactLakeDir } = await import(${module('compact-lake-dir')});
    const { lakeStoreFor } = await import(${module('lake-store-for')});
    const { startLakeWriter } = await import(${module('lake-writer')});
    const writer = startLakeWriter(lakeStoreFor(${JSON.stringify(root)}));
    await compactLakeDir(writer, ${JSON.stringify(dir)}, { onStep: (step) => { if (step === ${JSON.stringify(step)}) process.kill(process.pid, 'SIGKILL'); } });
    process.exit(3);`;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, timeout: 120_000 }, (error) => {
      resolve((error as { signal?: NodeJS.Signals } | null)?.signal ?? null);
    });
  });
}

for (const step of ['staged', 'published']) {
  test(`a compaction killed after it ${step} its parts, then the next run: one row per key, nothing lost, nothing hidden left`, { timeout: 180_000 }, async () => {
    await withLake(async (root) => {
      await twoLayerLake(root);
      assert.equal(await compactAndDie(root, TRADES, step), 'SIGKILL');
      const left = await filesOf(join(root, TRADES), 'tradeId');
      assert.deepEqual(tradeIds(left.versions), range(0, 60), 'nothing lost by the crash');
      assert.equal(left.rows, step === 'published' ? 190 : 130, 'old parts stay until the new ones are published');
      const writer = startLakeWriter(lakeStoreFor(root));
      try {
        assert.deepEqual(await deadMarkedDirs(writer), [TRADES], 'the killed compaction left its mark');
        const result = await compactLakeDir(writer, TRADES);
        assert.equal(result.rowsOut, 60);
        assert.deepEqual(await deadMarkedDirs(writer), []);
      } finally {
        await writer.close();
      }
      const after = await filesOf(join(root, TRADES), 'tradeId');
      assert.equal(after.rows, 60);
      assert.deepEqual(tradeIds(after.versions), range(0, 60));
      for (const [id, version] of after.versions) assert.equal(version, Number(id) < 50 ? ARCHIVE : LIVE);
      assert.deepEqual(await hiddenIn(root, TRADES), [], 'the dead compactor\'s staged parts are swept');
    });
  });
}

test('a writer publishing into the directory while it is compacted keeps its rows: a new part is not read, a replaced part stays', async () => {
  await withLake(async (root) => {
    await twoLayerLake(root);
    const writer = startLakeWriter(lakeStoreFor(root));
    try {
      const result = await compactLakeDir(writer, TRADES, {
        onStep: async (step) => {
          if (step !== 'staged') return;
          await write(root, [
            { kind: 'trade', unitId: 'late#0', records: range(100, 105).map((id) => trade(id, LIVE)) },
            // The same unit again with more rows: the same part name, replaced after the compaction read it.
            { kind: 'trade', unitId: 'live#0', records: range(20, 65).map((id) => trade(id, LIVE)) },
          ]);
        },
      });
      assert.equal(result.kept, 1, 'the replaced part was not removed');
      const between = await filesOf(join(root, TRADES), 'tradeId');
      assert.deepEqual(tradeIds(between.versions), [...range(0, 65), ...range(100, 105)]);
      await compactLakeDir(writer, TRADES);
    } finally {
      await writer.close();
    }
    const after = await filesOf(join(root, TRADES), 'tradeId');
    assert.equal(after.rows, 70);
    assert.deepEqual(tradeIds(after.versions), [...range(0, 65), ...range(100, 105)]);
  });
});

test('two compactors of one directory at once: one after the other under its lease, one row per key', async () => {
  await withLake(async (root) => {
    await twoLayerLake(root);
    const store = lakeStoreFor(root);
    const writers = [startLakeWriter(store), startLakeWriter(store)];
    try {
      const results = await Promise.all(writers.map((w) => compactLakeDir(w, TRADES)));
      assert.deepEqual(results.map((r) => r.written).sort(), [0, 1]);
    } finally {
      await Promise.all(writers.map((w) => w.close()));
    }
    const after = await filesOf(join(root, TRADES), 'tradeId');
    assert.equal(after.rows, 60);
  });
});

test('a part a killed compaction had moved aside is put back and compacted in', async () => {
  await withLake(async (root) => {
    await twoLayerLake(root);
    const parts = (await readdir(join(root, TRADES))).filter((name) => name.startsWith('late'));
    assert.deepEqual(parts, []);
    await write(root, [{ kind: 'trade', unitId: 'late#0', records: range(100, 105).map((id) => trade(id, LIVE)) }]);
    const late = (await readdir(join(root, TRADES))).find((name) => name.startsWith('late')) as string;
    const retired = retiredNameOf(late, 'dead0000dead0000');
    await copyFile(join(root, TRADES, late), join(root, TRADES, retired));
    await rm(join(root, TRADES, late));
    const writer = startLakeWriter(lakeStoreFor(root));
    try {
      await compactLakeDir(writer, TRADES);
    } finally {
      await writer.close();
    }
    const after = await filesOf(join(root, TRADES), 'tradeId');
    assert.deepEqual(tradeIds(after.versions), [...range(0, 60), ...range(100, 105)]);
    assert.equal(after.rows, 65);
    assert.deepEqual(await hiddenIn(root, TRADES), []);
  });
});

test('a minor compaction (newOnly) merges only the parts no compaction wrote; the full one after it ends at one row per key', async () => {
  await withLake(async (root) => {
    await write(root, [{ kind: 'trade', unitId: 'archive#0', records: range(0, 50).map((id) => trade(id, ARCHIVE, 200)) }]);
    const writer = startLakeWriter(lakeStoreFor(root));
    try {
      await write(root, [{ kind: 'trade', unitId: 'archive#1', records: range(0, 10).map((id) => trade(id, ARCHIVE, 200)) }]);
      await compactLakeDir(writer, TRADES);
      const [compacted] = (await readdir(join(root, TRADES))).filter((name) => name.startsWith('compacted-'));
      await write(root, [
        { kind: 'trade', unitId: 'live#0', records: range(20, 60).map((id) => trade(id, LIVE)) },
        { kind: 'trade', unitId: 'live#0-replayed', records: range(20, 60).map((id) => trade(id, LIVE)) },
      ]);
      assert.equal((await compactLakeDir(writer, TRADES, { newOnly: true })).rowsOut, 40);
      const parts = (await readdir(join(root, TRADES))).filter((name) => name.endsWith('.parquet'));
      assert.equal(parts.length, 2);
      assert.ok(parts.includes(compacted), 'the earlier compacted part is not reread');
      assert.equal((await filesOf(join(root, TRADES), 'tradeId')).rows, 90, 'keys repeat across compacted parts until the full compaction');
      assert.deepEqual(await deadMarkedDirs(startLakeWriter(lakeStoreFor(root))), [], 'the live writer\'s mark stays, not a dead one');
      assert.equal((await compactLakeDir(writer, TRADES, { newOnly: true })).written, 0, 'one new part: nothing to merge');
      assert.equal((await compactLakeDir(writer, TRADES)).rowsOut, 60);
    } finally {
      await writer.close();
    }
    const after = await filesOf(join(root, TRADES), 'tradeId');
    assert.equal(after.rows, 60);
    for (const [id, version] of after.versions) assert.equal(version, Number(id) < 50 ? ARCHIVE : LIVE);
  });
});
