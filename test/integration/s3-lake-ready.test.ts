/**
 * `/readyz` of a command writing an `s3://` lake probes the lake (it said `ok` for any s3:// lake before):
 * ready while the bucket takes writes, not ready while S3 answers 503 (a fault proxy in front of MinIO) or
 * the bucket does not exist or the credentials are refused, ready again when S3 recovers; the probe leaves
 * no object behind. And a run writing an s3:// lake has that check on its `/readyz`.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { lakeCheck } from '../../pipelines/readiness-checks.js';
import { S3FaultProxy } from '../chaos/s3-fault-proxy.js';
import { emptyAndDeleteBucket, s3BucketOrSkip } from '../support/s3-bucket.js';
import { s3Service } from '../support/services.js';

const BUCKET = `ready${Date.now().toString(36)}${process.pid}`;

test('the readiness of an s3:// lake follows whether S3 takes writes', { timeout: 120_000 }, async (t) => {
  const s3 = await s3BucketOrSkip(t, BUCKET);
  const service = await s3Service();
  if (s3 === undefined || service === undefined) return;
  t.after(() => emptyAndDeleteBucket(s3.client, BUCKET));
  const proxy = new S3FaultProxy(new URL(service.endpoint));
  await proxy.open();
  t.after(() => proxy.close());
  const config = { endpoint: `http://127.0.0.1:${proxy.port}`, region: service.region, accessKeyId: service.accessKeyId, secretAccessKey: service.secretAccessKey };

  const lake = lakeCheck(`s3://${BUCKET}/lake`, config);
  t.after(() => lake.close());
  assert.equal(await lake.check(), undefined);
  proxy.burst(60_000);
  assert.match(await lake.check() ?? 'ok', /^s3:\/\/.+ is not writable \(HTTP 503 /);
  proxy.burst(0);
  assert.equal(await lake.check(), undefined, 'ready again once S3 answers');
  const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
  assert.deepEqual(listed.Contents ?? [], [], 'the probe object is deleted');

  const missing = lakeCheck(`s3://${BUCKET}-missing/lake`, config);
  t.after(() => missing.close());
  assert.match(await missing.check() ?? 'ok', /is not writable \(HTTP 404 NoSuchBucket/);
  const refused = lakeCheck(`s3://${BUCKET}/lake`, { ...config, secretAccessKey: 'not-the-secret' });
  t.after(() => refused.close());
  const reason = await refused.check() ?? 'ok';
  assert.match(reason, /is not writable \(HTTP 403 /);
  assert.ok(!reason.includes('not-the-secret'));
});

test('/readyz of a run writing an s3:// lake is unready while its bucket does not exist', { timeout: 120_000 }, async (t) => {
  const service = await s3Service();
  if (service === undefined) return t.skip('S3 not configured (S3_ENDPOINT)');
  const { startRunOps } = await import('../../pipelines/run-ops.js');
  const ops = await startRunOps('test', { metricsPort: 0, logLevel: 'silent', lake: `s3://${BUCKET}-none/lake`, s3Endpoint: service.endpoint, s3Region: service.region,
    awsAccessKeyId: service.accessKeyId, awsSecretAccessKey: service.secretAccessKey }, { env: {}, stdout: new PassThrough(), stderr: new PassThrough(), signal: new AbortController().signal });
  t.after(() => ops.close());
  ops.sinkHooks.built?.(['parquet']);
  const response = await fetch(`${ops.metricsUrl}/readyz`);
  assert.equal(response.status, 503);
  const body = await response.json() as { ready: boolean; checks: Record<string, string> };
  assert.match(body.checks.lake ?? '', /is not writable \(HTTP 404 NoSuchBucket/);
});
