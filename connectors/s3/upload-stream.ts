/**
 * Streaming multipart upload: the object appears only when the upload completes (an aborted or failed upload
 * leaves nothing visible). Used by the Parquet lake on s3:// and by `lakehouse mirror` (GET → multipart PUT,
 * no temporary files). Memory is bounded by `partSizeBytes × queueSize`.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { SinkWriteError } from '../../schemas/errors.js';
import { s3Storage } from './sdk.js';

/** Arguments of {@link uploadStream}. */
export interface UploadStreamOptions {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  /** The bytes: a Node stream, a web stream, or a buffer. */
  readonly body: Readable | ReadableStream<Uint8Array> | Uint8Array | string;
  /** Total size when known (lets small bodies go out as one PUT). */
  readonly contentLength?: number;
  /** MIME type. @default 'application/octet-stream' */
  readonly contentType?: string;
  /** User metadata stored with the object (e.g. `sha256`). */
  readonly metadata?: Record<string, string>;
  /** Part size; S3's minimum is 5 MiB. @default 8 MiB */
  readonly partSizeBytes?: number;
  /** Parts in flight. @default 2 */
  readonly queueSize?: number;
  /** Aborts the upload (the multipart upload is aborted; nothing becomes visible). */
  readonly signal?: AbortSignal;
  /** Progress callback with bytes sent so far. */
  readonly onProgress?: (loadedBytes: number) => void;
}

/** What the store answered. */
export interface UploadResult {
  readonly bucket: string;
  readonly key: string;
  readonly etag?: string;
}

/** Uploads `body` to `s3://bucket/key` with a multipart upload (a single PUT when it fits in one part). */
export async function uploadStream(options: UploadStreamOptions): Promise<UploadResult> {
  const upload = new (s3Storage().Upload)({
    client: options.client,
    params: {
      Bucket: options.bucket,
      Key: options.key,
      Body: options.body,
      ContentType: options.contentType ?? 'application/octet-stream',
      ...(options.contentLength === undefined ? {} : { ContentLength: options.contentLength }),
      ...(options.metadata === undefined ? {} : { Metadata: options.metadata }),
    },
    partSize: options.partSizeBytes ?? 8 * 1024 * 1024,
    queueSize: options.queueSize ?? 2,
    leavePartsOnError: false,
  });
  if (options.onProgress !== undefined) {
    const onProgress = options.onProgress;
    upload.on('httpUploadProgress', (p) => { if (p.loaded !== undefined) onProgress(p.loaded); });
  }
  const onAbort = (): void => { void upload.abort(); };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const out = await upload.done();
    return { bucket: options.bucket, key: options.key, ...(out.ETag === undefined ? {} : { etag: out.ETag }) };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new SinkWriteError(`S3 upload of s3://${options.bucket}/${options.key} failed`, { service: 's3', url: `s3://${options.bucket}/${options.key}` }, { cause: error });
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}
