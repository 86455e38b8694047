/**
 * Compaction of an `s3://` lake on a real S3 service: an archive copy and a live copy of the same trades, and an
 * open kline the archive closed, end as one row per identity key (the highest version), read back from every
 * object; nothing hidden stays behind, and a second run rewrites nothing. The store's conditional removal keeps
 * an object replaced after it was read.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDBInstance } from '@duckdb/node-api';
import { from, lastValueFrom, toArray } from 'rxjs';
import { compactLake } from '../../connectors/parquet/compact-lake.js';
import { lakeStoreFor } from '../../connectors/parquet/lake-store-for.js';
import { toParquetLake } from '../../connectors/parquet/to-parquet-lake.js';
import type { KlineRecord, TradeRecord } from '../../schemas/records.js';
import { makeVersion } from '../../schemas/version.js';
import { sampleRecord } from '../support/sample-records.js';
import { downloadPrefix, emptyAndDeleteBucket, s3BucketOrSkip } from '../support/s3-bucket.js';
import { removeTempDirs, tempDir } from '../pipelines/backfill-support.js';

after(removeTempDirs);

const BUCKET = `compact-${Date.now().toString(36)}-${process.pid}`;
const ARCHIVE = makeVersion('archive', Date.UTC(2025, 6, 2));
const LIVE = makeVersion('ws', Date.UTC(2025, 6, 1, 12));
const ids = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

function trade(id: number, version: number): TradeRecord {
  return { ...sampleRecord('trade', 0), market: 'spot', symbol: 'BTCUSDT', tradeId: id, eventTimeUs: sampleRecord('trade', 0).eventTimeUs + id, version };
}

function kline(i: number, version: number): KlineRecord {
  return { ...sampleRecord('kline', i), market: 'spot', symbol: 'BTCUSDT', interval: '1m', priceKind: 'trade', version, isClosed: version === ARCHIVE };
}

async function perKey(dir: string, type: string, key: string): Promise<{ rows: number; keys: number; lowest: number }> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const [row] = (await connection.runAndReadAll(`SELECT count(*) AS rows, count(DISTINCT ${key}) AS keys, min(version) AS lowest
      FROM read_parquet('${dir}/exchange=*/market=*/type=${type}/symbol=*/date=*/*.parquet', hive_partitioning = false)`)).getRowObjectsJS();
    return { rows: Number(row.rows), keys: Number(row.keys), lowest: Number(row.lowest) };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

test('compaction of an s3:// lake leaves one row per key, the highest version', { timeout: 300_000 }, async (t) => {
  const bucket = await s3BucketOrSkip(t, BUCKET);
  if (bucket === undefined) return;
  const { client } = bucket;
  const root = `s3://${BUCKET}/lake`;
  try {
    await lastValueFrom(from([
      { kind: 'trade' as const, unitId: 'live#0', records: ids(0, 40).map((id) => trade(id, LIVE)) },
      { kind: 'trade' as const, unitId: 'archive#0', records: ids(10, 50).map((id) => trade(id, ARCHIVE)) },
      { kind: 'kline' as const, unitId: 'live-klines#0', records: ids(0, 6).map((i) => kline(i, LIVE)) },
      { kind: 'kline' as const, unitId: 'archive-klines#0', records: ids(0, 3).map((i) => kline(i, ARCHIVE)) },
    ]).pipe(toParquetLake({ root, s3Client: client, encodeInWorker: false }), toArray()));

    const report = await compactLake({ root, s3Client: client });
    assert.deepEqual(report, { dirs: 2, recovered: 0, compacted: 2, rowsIn: 89, rowsOut: 56, kept: 0 });
    const local = await tempDir('compact-s3');
    const keys = await downloadPrefix(client, BUCKET, 'lake', local);
    assert.deepEqual(keys.filter((k) => k.slice(k.lastIndexOf('/') + 1).startsWith('.')), [], 'no staged object left');
    const trades = await perKey(local, 'trades', 'tradeId');
    assert.deepEqual(trades, { rows: 50, keys: 50, lowest: LIVE });
    const klines = await perKey(local, 'klines_1m', 'openTimeUs');
    assert.deepEqual(klines, { rows: 6, keys: 6, lowest: LIVE });
    const again = await compactLake({ root, s3Client: client });
    assert.equal(again.compacted, 0);

    // Removal is conditional on the tag read: an object replaced since stays.
    const store = lakeStoreFor(root, client);
    const dir = 'exchange=binance/market=spot/type=trades/symbol=BTCUSDT/date=2025-07-01';
    const [part] = (await store.list(dir)).map((e) => e.name).filter((name) => name.endsWith('.parquet'));
    const copy = await store.localCopy(`${dir}/${part}`, await tempDir('compact-s3-copy'));
    assert.ok(copy !== undefined);
    await store.write(`${dir}/${part}`, new TextEncoder().encode('replaced'), 'test');
    assert.equal(await store.removeIfUnchanged(`${dir}/${part}`, copy.tag, 'test'), false);
    assert.ok((await store.list(dir)).some((e) => e.name === part), 'the replaced object stays');
    const fresh = await store.localCopy(`${dir}/${part}`, await tempDir('compact-s3-copy'));
    assert.equal(await store.removeIfUnchanged(`${dir}/${part}`, fresh?.tag ?? '', 'test'), true);
    assert.ok(!(await store.list(dir)).some((e) => e.name === part));
  } finally {
    await emptyAndDeleteBucket(client, BUCKET);
    client.destroy();
  }
});
