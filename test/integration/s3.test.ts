/**
 * S3 is real: in a bucket unique to the run, a multipart upload (> 5 MiB, several parts) through
 * `uploadStream`, ListObjectsV2 with nested prefixes (CommonPrefixes with a delimiter) and pagination
 * (MaxKeys + ContinuationToken), and ranged GETs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand, GetObjectCommand, HeadObjectCommand,
  ListObjectsV2Command, PutObjectCommand,
} from '@aws-sdk/client-s3';
import { createS3Client } from '../../connectors/s3/config.js';
import { uploadStream } from '../../connectors/s3/upload-stream.js';
import { headObject, listObjects } from '../../connectors/s3/objects.js';
import { s3Service } from '../support/services.js';
import { emptyAndDeleteBucket } from '../support/s3-bucket.js';

const BUCKET = `it-${Date.now().toString(36)}-${process.pid}`;
const MiB = 1024 * 1024;

/** Deterministic pseudo-random bytes (so a wrong part order or a lost part changes the hash). */
function bytesOf(length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = 2463534242;
  for (let i = 0; i < length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; out[i] = x & 0xff; }
  return out;
}

test('the S3 service does multipart uploads, nested listings with pagination, and ranged GETs', { timeout: 180_000 }, async (t) => {
  const service = await s3Service();
  if (service === undefined) { t.skip('S3 not configured (S3_ENDPOINT)'); return; }
  const client = createS3Client(service);
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  try {
    await t.test('a 13 MiB stream is uploaded in several 5 MiB parts and reads back byte-identical', async () => {
      const body = bytesOf(13 * MiB + 12345);
      const chunks = Array.from({ length: Math.ceil(body.length / (256 * 1024)) }, (_, i) => body.subarray(i * 256 * 1024, (i + 1) * 256 * 1024));
      const result = await uploadStream({ client, bucket: BUCKET, key: 'big/object.bin', body: Readable.from(chunks), partSizeBytes: 5 * MiB });
      assert.match(result.etag ?? '', /-3"?$/, 'a multipart ETag ends with -<parts>');
      const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'big/object.bin' }));
      assert.equal(head.ContentLength, body.length);
      const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'big/object.bin' }));
      const back = Buffer.from(await got.Body!.transformToByteArray());
      assert.equal(createHash('sha256').update(back).digest('hex'), createHash('sha256').update(body).digest('hex'));
    });

    await t.test('an upload whose body fails midway leaves no object behind', async () => {
      async function* failing(): AsyncGenerator<Buffer> {
        yield bytesOf(6 * MiB);
        throw new Error('source broke');
      }
      await assert.rejects(
        uploadStream({ client, bucket: BUCKET, key: 'broken/object.bin', body: Readable.from(failing()), partSizeBytes: 5 * MiB }),
        (error: Error) => error.name === 'SinkWriteError',
      );
      assert.equal(await headObject(client, BUCKET, 'broken/object.bin'), undefined);
    });

    await t.test('a ranged GET returns exactly the requested bytes', async () => {
      const body = bytesOf(13 * MiB + 12345);
      const start = 5 * MiB - 10;
      const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'big/object.bin', Range: `bytes=${start}-${start + 99}` }));
      assert.equal(got.ContentRange, `bytes ${start}-${start + 99}/${body.length}`);
      assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), body.subarray(start, start + 100));
    });

    await t.test('nested Hive-style keys list as CommonPrefixes with a delimiter', async () => {
      const keys = ['year=2024/month=01/a.parquet', 'year=2024/month=02/b.parquet', 'year=2025/month=01/c.parquet', 'deep/a/b/c.txt'];
      for (const key of keys) await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `tree/${key}`, Body: key }));
      const top = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'tree/', Delimiter: '/' }));
      assert.deepEqual((top.CommonPrefixes ?? []).map((p) => p.Prefix).sort(), ['tree/deep/', 'tree/year=2024/', 'tree/year=2025/']);
      assert.equal(top.Contents?.length ?? 0, 0);
      const months = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'tree/year=2024/', Delimiter: '/' }));
      assert.deepEqual((months.CommonPrefixes ?? []).map((p) => p.Prefix).sort(), ['tree/year=2024/month=01/', 'tree/year=2024/month=02/']);
    });

    await t.test('listing pages with MaxKeys and ContinuationToken cover every key once', async () => {
      const keys = Array.from({ length: 12 }, (_, i) => `pages/k${String(i).padStart(2, '0')}`);
      await Promise.all(keys.map((key) => client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }))));
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'pages/', MaxKeys: 5, ContinuationToken: token }));
        seen.push(...(page.Contents ?? []).map((o) => o.Key as string));
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
        pages++;
      } while (token !== undefined);
      assert.equal(pages, 3);
      assert.deepEqual(seen, keys);
    });
    await t.test('listObjects pages through every key and lists one level with a delimiter; headObject sees metadata', async () => {
      const keys: string[] = [];
      for await (const entry of listObjects({ client, bucket: BUCKET, prefix: 'pages/', pageSize: 5 })) if (entry.kind === 'object') keys.push(entry.key);
      assert.deepEqual(keys, Array.from({ length: 12 }, (_, i) => `pages/k${String(i).padStart(2, '0')}`));
      const level: string[] = [];
      for await (const entry of listObjects({ client, bucket: BUCKET, prefix: 'tree/', delimiter: '/' })) level.push(entry.kind === 'prefix' ? entry.prefix : entry.key);
      assert.deepEqual(level.sort(), ['tree/deep/', 'tree/year=2024/', 'tree/year=2025/']);
      await uploadStream({ client, bucket: BUCKET, key: 'meta/x', body: 'abc', metadata: { sha256: 'f00d' } });
      const head = await headObject(client, BUCKET, 'meta/x');
      assert.equal(head?.sizeBytes, 3);
      assert.equal(head?.metadata.sha256, 'f00d');
      assert.equal(await headObject(client, BUCKET, 'meta/missing'), undefined);
    });
  } finally {
    await emptyAndDeleteBucket(client, BUCKET);
    client.destroy();
  }
});
