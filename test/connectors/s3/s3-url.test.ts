import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatS3Url, isS3Url, parseS3Url, s3KeyOf } from '../../../connectors/s3/s3-url.js';
import { createS3Client } from '../../../connectors/s3/config.js';
import { ConfigError } from '../../../schemas/errors.js';

test('an s3 URL splits into bucket and a prefix without outer slashes', () => {
  assert.deepEqual(parseS3Url('s3://my-bucket/lake/v1/'), { bucket: 'my-bucket', prefix: 'lake/v1' });
  assert.deepEqual(parseS3Url('s3://my-bucket'), { bucket: 'my-bucket', prefix: '' });
  assert.deepEqual(parseS3Url('s3://my-bucket/'), { bucket: 'my-bucket', prefix: '' });
  assert.deepEqual(parseS3Url('s3://b.with.dots/a//b'), { bucket: 'b.with.dots', prefix: 'a/b' });
});

test('keys join under the prefix, or at the bucket root', () => {
  assert.equal(s3KeyOf({ bucket: 'b', prefix: 'lake' }, 'exchange=binance/x.parquet'), 'lake/exchange=binance/x.parquet');
  assert.equal(s3KeyOf({ bucket: 'b', prefix: '' }, '/x.parquet'), 'x.parquet');
  assert.equal(formatS3Url(parseS3Url('s3://bkt/a/b')), 's3://bkt/a/b');
  assert.equal(formatS3Url(parseS3Url('s3://bkt')), 's3://bkt');
});

test('non-s3 URLs, invalid bucket names and dot segments are ConfigErrors that say what is wrong', () => {
  assert.equal(isS3Url('/tmp/lake'), false);
  assert.throws(() => parseS3Url('/tmp/lake'), (e: Error) => e instanceof ConfigError && e.message.includes('s3://bucket/prefix'));
  assert.throws(() => parseS3Url('s3://Upper/x'), (e: Error) => e instanceof ConfigError && e.message.includes('"Upper"'));
  assert.throws(() => parseS3Url('s3://'), ConfigError);
  assert.throws(() => parseS3Url('s3://ok-bucket/a/../b'), (e: Error) => e instanceof ConfigError && e.message.includes('..'));
});

test('the client uses path-style URLs and WHEN_REQUIRED checksums with an emulator endpoint', async () => {
  const client = createS3Client({ endpoint: 'http://127.0.0.1:19090', accessKeyId: 'a', secretAccessKey: 'b' });
  try {
    assert.equal(client.config.forcePathStyle, true);
    assert.equal(await client.config.requestChecksumCalculation(), 'WHEN_REQUIRED');
    assert.equal(await client.config.responseChecksumValidation(), 'WHEN_REQUIRED');
    assert.equal(await client.config.region(), 'us-east-1');
  } finally {
    client.destroy();
  }
});

test('half a credential pair is a ConfigError', () => {
  assert.throws(() => createS3Client({ accessKeyId: 'only-the-key' }), ConfigError);
});
