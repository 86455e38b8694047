import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as clientS3 from '@aws-sdk/client-s3';
import * as libStorage from '@aws-sdk/lib-storage';
import { s3Sdk, s3Storage } from '../../../connectors/s3/sdk.js';

test('the lazily loaded SDK modules hold the very classes a static import gives, so instanceof checks agree', () => {
  assert.equal(s3Sdk().S3Client, clientS3.S3Client);
  assert.equal(s3Sdk().NoSuchKey, clientS3.NoSuchKey);
  assert.ok(new clientS3.NotFound({ message: 'x', $metadata: {} }) instanceof s3Sdk().NotFound);
  assert.equal(s3Storage().Upload, libStorage.Upload);
  assert.equal(s3Sdk(), s3Sdk());
});
