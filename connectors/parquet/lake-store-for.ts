/** The lake store (lake-store.ts) for a root: a local directory or an S3 prefix. */
import type { S3Client } from '@aws-sdk/client-s3';
import { SinkWriteError } from '../../schemas/errors.js';
import { isS3Url, parseS3Url } from '../s3/s3-url.js';
import type { LakeStore } from './lake-store.js';
import { localLakeStore } from './local-lake-store.js';
import { s3LakeStore } from './s3-lake-store.js';

/** The store for a lake root: a local directory, or `s3://bucket/prefix` (then `s3Client` is required). */
export function lakeStoreFor(root: string, s3Client?: S3Client): LakeStore {
  if (!isS3Url(root)) return localLakeStore(root);
  if (s3Client === undefined) {
    throw new SinkWriteError(`lake root ${root} is on S3 but no S3 client/config was given`, { url: root }, { retriable: false });
  }
  return s3LakeStore(root, parseS3Url(root), s3Client);
}
