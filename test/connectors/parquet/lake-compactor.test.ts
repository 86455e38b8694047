import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { from, lastValueFrom, toArray } from 'rxjs';
import { startLakeCompactor } from '../../../connectors/parquet/lake-compactor.js';
import { toParquetLake } from '../../../connectors/parquet/to-parquet-lake.js';
import type { RecordBatch } from '../../../connectors/sink.js';
import type { TradeRecord } from '../../../schemas/records.js';
import { makeVersion } from '../../../schemas/version.js';
import { sampleRecord } from '../../support/sample-records.js';

const DAY_US = 86_400_000_000;
const DIR = (day: string): string => `exchange=binance/market=spot/type=trades/symbol=BTCUSDT/date=${day}`;

function trade(id: number, day: number, version: number): TradeRecord {
  const base = sampleRecord('trade', 0);
  return { ...base, market: 'spot', symbol: 'BTCUSDT', tradeId: id, eventTimeUs: base.eventTimeUs + day * DAY_US + id, version };
}

/** Both copies of trades 0–9 of `day` (a live one, then the archive's), as two batches. */
function bothLayers(day: number): RecordBatch[] {
  const ids = Array.from({ length: 10 }, (_, i) => i);
  return [
    { kind: 'trade', unitId: `live#${day}`, records: ids.map((id) => trade(id, day, makeVersion('ws', 1))) },
    { kind: 'trade', unitId: `archive#${day}`, records: ids.map((id) => trade(id, day, makeVersion('archive', 2))) },
  ];
}

async function parts(root: string, dir: string): Promise<string[]> {
  return (await readdir(join(root, dir)).catch(() => [])).filter((name) => name.endsWith('.parquet')).sort();
}

async function withLake(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'compactor-'));
  try { await fn(root); } finally { await rm(root, { recursive: true, force: true }); }
}

test('the lake sink\'s compactor compacts a day once a later day begins, and every written day at close', async () => {
  await withLake(async (root) => {
    const compactor = startLakeCompactor({ root, quietMs: 3_600_000 });
    const sink = toParquetLake({ root, encodeInWorker: false, onWritten: (dir) => compactor.written(dir) });
    await lastValueFrom(from(bothLayers(0)).pipe(sink, toArray()));
    assert.equal((await parts(root, DIR('2025-07-01'))).length, 2);
    await lastValueFrom(from(bothLayers(1)).pipe(sink, toArray()));
    for (let i = 0; i < 400 && (await parts(root, DIR('2025-07-01'))).length !== 1; i++) await sleep(50);
    assert.match((await parts(root, DIR('2025-07-01'))).join(), /^compacted-[0-9a-f]{16}-0\.parquet$/, 'the earlier day, once the next began');
    assert.equal((await parts(root, DIR('2025-07-02'))).length, 2, 'the day still being written waits');
    await compactor.close();
    assert.match((await parts(root, DIR('2025-07-02'))).join(), /^compacted-/, 'at close');
    assert.deepEqual(await readdir(join(root, '_manifest/compaction')), [], 'no mark left after a clean close');
  });
});

test('close compacts only within its bound; what it left keeps its mark and the next compactor does it', async () => {
  await withLake(async (root) => {
    const compactor = startLakeCompactor({ root, quietMs: 3_600_000, closeWithinMs: 0 });
    const sink = toParquetLake({ root, encodeInWorker: false, onWritten: (dir) => compactor.written(dir) });
    await lastValueFrom(from(bothLayers(0)).pipe(sink, toArray()));
    await compactor.close();
    assert.equal((await parts(root, DIR('2025-07-01'))).length, 2, 'a stop does not wait on the rewrite');
    assert.notDeepEqual(await readdir(join(root, '_manifest/compaction')).catch(() => []), [], 'its mark stays');
    const next = startLakeCompactor({ root, quietMs: 3_600_000 });
    for (let i = 0; i < 400 && (await parts(root, DIR('2025-07-01'))).length !== 1; i++) await sleep(50);
    await next.close();
    assert.match((await parts(root, DIR('2025-07-01'))).join(), /^compacted-/, 'done by the next start');
  });
});

test('a compactor starting compacts the directories a dead writer marked', async () => {
  await withLake(async (root) => {
    await lastValueFrom(from(bothLayers(0)).pipe(toParquetLake({ root, encodeInWorker: false }), toArray()));
    await mkdir(join(root, '_manifest/compaction'), { recursive: true });
    const dead = 'dead0000dead0000';
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256').update(DIR('2025-07-01')).digest('hex').slice(0, 32);
    await writeFile(join(root, `_manifest/compaction/${hash}.${dead}.json`), JSON.stringify({ dir: DIR('2025-07-01'), writer: dead }));
    const compactor = startLakeCompactor({ root });
    await compactor.close();
    assert.match((await parts(root, DIR('2025-07-01'))).join(), /^compacted-[0-9a-f]{16}-0\.parquet$/);
    assert.deepEqual(await readdir(join(root, '_manifest/compaction')), []);
  });
});

test('a day still being written gets minor compactions every maxWrites writes, and its full one at close', async () => {
  await withLake(async (root) => {
    const compactor = startLakeCompactor({ root, quietMs: 3_600_000, maxWrites: 3 });
    const sink = toParquetLake({ root, encodeInWorker: false, onWritten: (dir) => compactor.written(dir) });
    const ids = Array.from({ length: 10 }, (_, i) => i);
    await lastValueFrom(from([0, 1, 2].map((n): RecordBatch => ({ kind: 'trade', unitId: `live#${n}`, records: ids.map((id) => trade(id + n * 5, 0, makeVersion('ws', 1))) })))
      .pipe(sink, toArray()));
    for (let i = 0; i < 400 && (await parts(root, DIR('2025-07-01'))).length !== 1; i++) await sleep(50);
    assert.match((await parts(root, DIR('2025-07-01'))).join(), /^compacted-[0-9a-f]{16}-0\.parquet$/, 'three parts merged into one');
    await lastValueFrom(from(bothLayers(0)).pipe(sink, toArray()));
    await compactor.close();
    assert.equal((await parts(root, DIR('2025-07-01'))).length, 1);
    assert.deepEqual(await readdir(join(root, '_manifest/compaction')), []);
  });
});
