/**
 * A republished archive object on an `s3://` lake (real S3 service): a backfill writes two days of trades (one
 * with a malformed row, so a deadLetters part too), Binance-style republishing replaces one day's zip with new
 * bytes and a new .CHECKSUM, and the rerun re-ingests it, deletes every part the old content wrote (trades and
 * deadLetters) and reports how many; DuckDB and fromParquetLake then see each trade exactly once.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { firstValueFrom, toArray } from 'rxjs';
import { fromParquetLake } from '../../connectors/parquet/from-parquet-lake.js';
import { listObjects } from '../../connectors/s3/objects.js';
import { backfillCommand } from '../../pipelines/backfill.js';
import type { BackfillReport } from '../../pipelines/backfill-report.js';
import { generateArchiveMirror, writeArchiveFile } from '../support/archive-mirror.js';
import { emptyAndDeleteBucket, s3BucketOrSkip } from '../support/s3-bucket.js';
import { removeTempDirs, runCommand, tempDir } from '../pipelines/backfill-support.js';

after(removeTempDirs);

const BUCKET = `repub-${Date.now().toString(36)}-${process.pid}`;

async function lakeKeys(client: S3Client): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of listObjects({ client, bucket: BUCKET, prefix: 'lake/' })) if (entry.kind === 'object') keys.push(entry.key);
  return keys;
}

/** Copies the lake's objects into a local directory under the same relative paths (DuckDB here has no httpfs). */
async function download(client: S3Client, keys: readonly string[], into: string): Promise<void> {
  for (const key of keys) {
    const body = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const path = join(into, key.slice('lake/'.length));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, await body.Body!.transformToByteArray());
  }
}

async function duckCounts(root: string): Promise<{ rows: number; ids: number }> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(`SELECT count(*)::INTEGER AS n, count(DISTINCT tradeId)::INTEGER AS ids FROM read_parquet('${root}/exchange=binance/market=spot/type=trades/symbol=BTCUSDT/date=*/*.parquet')`);
    const [row] = reader.getRowObjectsJson() as { n: number; ids: number }[];
    return { rows: Number(row.n), ids: Number(row.ids) };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

test('a rerun after Binance republished a file removes the old content\'s parts from an s3:// lake, so each row is there once', { timeout: 300_000 }, async (t) => {
  const bucket = await s3BucketOrSkip(t, BUCKET);
  if (bucket === undefined) return;
  const { client, env } = bucket;
  try {
    const dir = await tempDir('republish-s3');
    const generated = await generateArchiveMirror(dir, { markets: ['spot'], symbols: ['BTCUSDT'], types: ['trades'], fromDay: '2025-07-01', toDay: '2025-07-02', eventsPerDay: 5_000 });
    const [day1, day2] = generated;
    const lines = execFileSync('unzip', ['-p', day1.path]).toString().trim().split('\n');
    const old = await writeArchiveFile(dir, day1.file, { lines: [...lines.slice(0, 100), 'not,a,trade', ...lines.slice(100)] });
    const args = ['--symbols', 'BTCUSDT', '--types', 'trades', '--from', '2025-07-01', '--to', '2025-07-02', '--archive', dir,
      '--lake', `s3://${BUCKET}/lake`, '--manifest', join(await tempDir('republish-s3-manifest'), 'm.jsonl'), '--batch-rows', '1000', '--json'];
    const reportOf = (stdout: string): BackfillReport => JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as BackfillReport;

    const first = await runCommand(backfillCommand, args, env);
    assert.equal(first.exitCode, 3, first.stdout + first.stderr); // loaded, with the malformed row in the DLQ
    const oldParts = (await lakeKeys(client)).filter((k) => k.includes(`_${old.sha256.slice(0, 16)}_`));
    assert.equal(oldParts.filter((k) => k.includes('/type=trades/')).length, 5, oldParts.join('\n'));
    assert.equal(oldParts.filter((k) => k.includes('/type=deadLetters/')).length, 1, oldParts.join('\n'));

    const republished = await writeArchiveFile(dir, day1.file, { lines: lines.slice(0, 3_500) });
    assert.notEqual(republished.sha256, old.sha256);
    const rerun = await runCommand(backfillCommand, args, env);
    assert.equal(rerun.exitCode, 0, rerun.stdout + rerun.stderr);
    const report = reportOf(rerun.stdout);
    assert.deepEqual([report.loaded, report.skipped], [1, 1]);
    assert.deepEqual(report.republished, [{ key: day1.key, oldSha256: old.sha256, newSha256: republished.sha256, removedParts: 6 }]);

    const keys = await lakeKeys(client);
    assert.deepEqual(keys.filter((k) => k.includes(old.sha256.slice(0, 16))), [], 'no part of the old content is left');
    assert.equal(keys.filter((k) => k.includes(`_${republished.sha256.slice(0, 16)}_`)).length, 4, 'the new content wrote 3,500 rows in 4 parts');
    assert.equal(keys.filter((k) => k.includes(`_${day2.sha256.slice(0, 16)}_`)).length, 5, 'the other day is untouched');

    const scratch = await tempDir('republish-s3-read');
    await download(client, keys, scratch);
    assert.deepEqual(await duckCounts(scratch), { rows: 3_500 + day2.rows, ids: 3_500 + day2.rows });
    const records = await firstValueFrom(fromParquetLake({ root: scratch, type: 'trades', kind: 'trade', symbol: 'BTCUSDT', orderBy: 'tradeId' }).pipe(toArray()));
    const ids = records.map((r) => (r as { tradeId: number }).tradeId);
    assert.equal(new Set(ids).size, ids.length, 'each trade once');
    assert.equal(ids.length, 3_500 + day2.rows);
  } finally {
    await emptyAndDeleteBucket(client, BUCKET);
    client.destroy();
  }
});
