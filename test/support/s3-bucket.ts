/** Test helper for S3 integration tests: empties a bucket (page by page) and deletes it; downloads a prefix. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DeleteBucketCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

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
