/** Test helper for S3 integration tests: a fresh bucket (or a skip), emptying and deleting it, downloading a prefix. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../connectors/s3/config.js';
import { s3Service } from './services.js';

/** Deletes every object of `bucket`, then the bucket. */
export async function emptyAndDeleteBucket(client: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key as string }));
    if (keys.length === 0) break;
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/**
 * Copies every object under `prefix/` into `into`, under the same relative paths (DuckDB here has no httpfs);
 * returns their keys. A lake's `_manifest/` (writer heartbeats and leases, which come and go) is left out.
 */
export async function downloadPrefix(client: S3Client, bucket: string, prefix: string, into: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/`, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key !== undefined && !object.Key.startsWith(`${prefix}/_manifest/`)) keys.push(object.Key);
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  for (const key of keys) {
    const body = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const path = join(into, key.slice(prefix.length + 1));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, await body.Body!.transformToByteArray());
  }
  return keys;
}

/** A fresh bucket on the S3 service, a client, and the backfill environment naming the service; undefined after skipping `t` when none is configured. */
export async function s3BucketOrSkip(t: TestContext, bucket: string): Promise<{ client: S3Client; env: NodeJS.ProcessEnv } | undefined> {
  const service = await s3Service();
  if (service === undefined) { t.skip('S3 not configured (S3_ENDPOINT)'); return undefined; }
  const client = createS3Client(service);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return { client, env: { S3_ENDPOINT: service.endpoint, AWS_REGION: service.region, AWS_ACCESS_KEY_ID: service.accessKeyId, AWS_SECRET_ACCESS_KEY: service.secretAccessKey } };
}
