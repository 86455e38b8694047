/**
 * The Parquet lake is real on both roots: `toParquetLake` writes a local directory and an `s3://` prefix
 * (completed multipart uploads on the S3 service), and DuckDB — an independent reader — reads every kind back
 * with exact int64 values, nulls, doubles, strings and lists; ClickHouse (the embedded engine) reads them too. DuckDB here has no httpfs (offline), so the S3
 * objects are fetched with the SDK and read from a scratch directory under the same relative paths.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { firstValueFrom, from, toArray } from 'rxjs';
import { toParquetLake, type ParquetLakeOptions } from '../../connectors/parquet/to-parquet-lake.js';
import { lakeTypeOf } from '../../connectors/parquet/lake-path.js';
import { createS3Client } from '../../connectors/s3/config.js';
import { createClickHouseClient } from '../../connectors/clickhouse/config.js';
import { quoteString } from '../../connectors/clickhouse/sql-literal.js';
import type { RecordBatch } from '../../connectors/sink.js';
import { KIND_NAMES, KINDS, type AnyRecord, type KindName } from '../../schemas/records.js';
import { s3Service } from '../support/services.js';
import { sampleRecords } from '../support/sample-records.js';
import { downloadPrefix } from '../support/s3-bucket.js';

const RUN = `it-${Date.now().toString(36)}-${process.pid}`;

function lakeBatches(): RecordBatch[] {
  return KIND_NAMES.map((kind) => {
    const records = sampleRecords(kind, 4).map((r) => ({ ...r, market: 'um', symbol: 'BTCUSDT', eventTimeUs: 1_751_328_000_123_456 })) as AnyRecord[];
    if (kind === 'kline') for (const r of records) Object.assign(r, { priceKind: 'trade', interval: '1m' });
    return { kind, unitId: `${RUN}/${kind}.zip#0`, records };
  });
}

/** Every lake row of a kind through DuckDB, mapped onto the field table (BIGINT arrives as exact decimal text). */
async function duckRead(root: string, kind: KindName, type: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const glob = `${root}/exchange=*/market=*/type=${type}/symbol=*/date=*/*.parquet`;
    const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet('${glob}', hive_partitioning = false) ORDER BY ingestId`);
    return reader.getRowObjectsJson().map((row) => {
      const out: Record<string, unknown> = { kind };
      for (const field of KINDS[kind].fields) {
        const value = row[field.name];
        out[field.name] = field.type === 'long' && value !== null ? Number(value) : value;
      }
      return out;
    });
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function assertLakeEquals(root: string, batches: RecordBatch[]): Promise<void> {
  for (const batch of batches) {
    const expected = [...batch.records].sort((a, b) => (a.ingestId < b.ingestId ? -1 : 1));
    assert.deepEqual(await duckRead(root, batch.kind, lakeTypeOf(batch.records[0] as AnyRecord)), expected, batch.kind);
  }
}

async function writeLake(options: ParquetLakeOptions, batches: RecordBatch[]): Promise<void> {
  const acks = await firstValueFrom(from([...batches, ...batches]).pipe(toParquetLake(options), toArray()));
  assert.equal(acks.length, batches.length * 2);
}

test('the lake in a local directory is read back by DuckDB exactly, after a replay', async () => {
  const root = await mkdtemp(join(tmpdir(), 'lake-it-'));
  try {
    const batches = lakeBatches();
    await writeLake({ root }, batches);
    await assertLakeEquals(root, batches);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('ClickHouse (embedded, 26.x) reads lake files through file(..., Parquet) with exact int64s and lists', { timeout: 180_000 }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'lake-ch-it-'));
  const dataDir = await mkdtemp(join(tmpdir(), 'chdb-lake-it-'));
  const client = await createClickHouseClient({ embeddedPath: dataDir });
  try {
    const [batch] = lakeBatches().filter((b) => b.kind === 'depthUpdate');
    const [ack] = await firstValueFrom(from([batch]).pipe(toParquetLake({ root }), toArray()));
    const result = await client.query({
      query: `SELECT eventTimeUs, version, prevFinalUpdateId, bidPrices FROM file(${quoteString(ack.target)}, Parquet) ORDER BY ingestId`,
      format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
    });
    const expected = [...batch.records].sort((a, b) => (a.ingestId < b.ingestId ? -1 : 1)).map((r) => {
      const d = r as Extract<AnyRecord, { kind: 'depthUpdate' }>;
      return { eventTimeUs: String(d.eventTimeUs), version: String(d.version), prevFinalUpdateId: d.prevFinalUpdateId === null ? null : String(d.prevFinalUpdateId), bidPrices: d.bidPrices };
    });
    assert.deepEqual(await result.json(), expected);
  } finally {
    await client.close();
    await rm(root, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('the lake on s3:// appears as complete objects that DuckDB reads back exactly', { timeout: 180_000 }, async (t) => {
  const service = await s3Service();
  if (service === undefined) { t.skip('S3 not configured (S3_ENDPOINT)'); return; }
  const client = createS3Client(service);
  const scratch = await mkdtemp(join(tmpdir(), 'lake-s3-it-'));
  await client.send(new CreateBucketCommand({ Bucket: RUN }));
  try {
    const batches = lakeBatches();
    await writeLake({ root: `s3://${RUN}/lake/v1`, s3: service }, batches); // the sink makes (and destroys) its own client
    const files = (await downloadPrefix(client, RUN, 'lake/v1', scratch)).length;
    assert.equal(files, batches.length, 'one object per cell; the replay replaced instead of adding');
    await assertLakeEquals(scratch, batches);
  } finally {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: RUN }));
    const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key as string }));
    if (keys.length > 0) await client.send(new DeleteObjectsCommand({ Bucket: RUN, Delete: { Objects: keys } }));
    await client.send(new DeleteBucketCommand({ Bucket: RUN }));
    client.destroy();
    await rm(scratch, { recursive: true, force: true });
  }
});
