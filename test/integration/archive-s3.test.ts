/**
 * `lakehouse mirror` and `lakehouse backfill` against a real S3: a generated archive is mirrored into a bucket
 * unique to the run (a > 5 MiB object goes up in several parts), a rerun skips every object by checksum, a
 * backfill reads the archive back from s3:// and writes the lake to s3://.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { CreateBucketCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createS3Client } from '../../connectors/s3/config.js';
import { mirrorCommand } from '../../pipelines/mirror.js';
import { backfillCommand } from '../../pipelines/backfill.js';
import { generateArchiveMirror } from '../support/archive-mirror.js';
import { s3Service } from '../support/services.js';
import { runCommand, removeTempDirs, tempDir } from '../pipelines/backfill-support.js';
import { emptyAndDeleteBucket } from '../support/s3-bucket.js';

after(removeTempDirs);

const BUCKET = `arch-${Date.now().toString(36)}-${process.pid}`;

test('archives are mirrored into S3 (verified, resumable) and backfilled from s3:// into an s3:// lake', { timeout: 300_000 }, async (t) => {
  const service = await s3Service();
  if (service === undefined) { t.skip('S3 not configured (S3_ENDPOINT)'); return; }
  const client = createS3Client(service);
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const dir = await tempDir('archive-s3');
  const env = { S3_ENDPOINT: service.endpoint, AWS_REGION: service.region, AWS_ACCESS_KEY_ID: service.accessKeyId, AWS_SECRET_ACCESS_KEY: service.secretAccessKey };
  try {
    const generated = await generateArchiveMirror(dir, { markets: ['spot'], symbols: ['BTCUSDT'], types: ['klines:1m', 'trades'], fromDay: '2025-07-01', toDay: '2025-07-01', eventsPerDay: 250_000 });
    const select = ['--symbols', 'BTCUSDT', '--types', 'klines:1m,trades', '--from', '2025-07-01'];
    const first = await runCommand(mirrorCommand, [...select, '--archive', dir, '--target', `s3://${BUCKET}/raw`, '--json'], env);
    assert.equal(first.exitCode, 0, first.stdout + first.stderr);
    assert.equal((JSON.parse(first.stdout) as { copied: number }).copied, 2);
    const big = generated.find((g) => g.key.includes('trades'));
    assert.ok(big !== undefined && big.size > 5 * 1024 * 1024, 'the trades zip needs several parts');
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `raw/${big.key}` }));
    assert.equal(head.Metadata?.sha256, big.sha256);
    assert.equal(head.ContentLength, big.size);
    const second = await runCommand(mirrorCommand, [...select, '--archive', dir, '--target', `s3://${BUCKET}/raw`, '--json'], env);
    assert.equal((JSON.parse(second.stdout) as { skipped: number }).skipped, 2);
    const lakeManifest = await tempDir('archive-s3-manifest');
    const backfill = await runCommand(backfillCommand, [...select, '--archive', `s3://${BUCKET}/raw`, '--lake', `s3://${BUCKET}/lake`, '--manifest', `${lakeManifest}/m.jsonl`, '--json'], env);
    assert.equal(backfill.exitCode, 0, backfill.stdout + backfill.stderr);
    const report = JSON.parse(backfill.stdout.trim().split('\n').at(-1) ?? '{}') as { loaded: number; rows: number };
    assert.equal(report.loaded, 2);
    assert.equal(report.rows, generated.reduce((s, g) => s + g.rows, 0));
    const lake = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'lake/exchange=binance/market=spot/type=trades/' }));
    assert.ok((lake.Contents ?? []).some((o) => o.Key?.endsWith('.parquet')));
  } finally {
    await emptyAndDeleteBucket(client, BUCKET);
    client.destroy();
    await rm(dir, { recursive: true, force: true });
  }
});
