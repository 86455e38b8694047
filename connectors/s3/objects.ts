/**
 * Object helpers over an S3 client: paged listings as an async iterator (ListObjectsV2 with continuation
 * tokens; with a delimiter, common prefixes too) and HEAD that answers `undefined` for a missing object, for
 * `lakehouse mirror` (skip objects already copied with the same checksum) and S3 archive sources; batched
 * DeleteObjects for the lake (parts of republished archive objects' old versions).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { ConnectorError, SinkWriteError } from '../../schemas/errors.js';
import { s3Sdk } from './sdk.js';

/** The HTTP status of a failed S3 request, when the store answered one. */
export function s3StatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** One listed object, or a common prefix when `prefix` is set. */
export type ListedEntry =
  | { readonly kind: 'object'; readonly key: string; readonly sizeBytes: number; readonly etag?: string; readonly lastModified?: Date }
  | { readonly kind: 'prefix'; readonly prefix: string };

/** Options of {@link listObjects}. */
export interface ListObjectsOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Only keys under this prefix. @default '' */
  readonly prefix?: string;
  /** Group keys at this delimiter into common prefixes (`'/'` lists one level). @default none */
  readonly delimiter?: string;
  /** Keys per request. @default 1000 */
  readonly pageSize?: number;
  readonly signal?: AbortSignal;
}

/** Every object (and common prefix) under a prefix, page by page; memory holds one page. */
export async function* listObjects(options: ListObjectsOptions): AsyncGenerator<ListedEntry> {
  let token: string | undefined;
  do {
    const page = await options.client.send(new (s3Sdk().ListObjectsV2Command)({
      Bucket: options.bucket, Prefix: options.prefix, Delimiter: options.delimiter, MaxKeys: options.pageSize, ContinuationToken: token,
    }), { abortSignal: options.signal });
    for (const p of page.CommonPrefixes ?? []) if (p.Prefix !== undefined) yield { kind: 'prefix', prefix: p.Prefix };
    for (const o of page.Contents ?? []) {
      if (o.Key === undefined) continue;
      yield {
        kind: 'object', key: o.Key, sizeBytes: o.Size ?? 0,
        ...(o.ETag === undefined ? {} : { etag: o.ETag }), ...(o.LastModified === undefined ? {} : { lastModified: o.LastModified }),
      };
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
}

/** What HEAD says about an object. */
export interface ObjectHead {
  readonly sizeBytes: number;
  readonly etag?: string;
  /** User metadata (lower-case keys), e.g. `sha256` written by `mirror`. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** HEAD of `s3://bucket/key`, or `undefined` when there is no such object. */
export async function headObject(client: S3Client, bucket: string, key: string): Promise<ObjectHead | undefined> {
  try {
    const head = await client.send(new (s3Sdk().HeadObjectCommand)({ Bucket: bucket, Key: key }));
    return { sizeBytes: head.ContentLength ?? 0, ...(head.ETag === undefined ? {} : { etag: head.ETag }), metadata: head.Metadata ?? {} };
  } catch (error) {
    if (error instanceof s3Sdk().NotFound || error instanceof s3Sdk().NoSuchKey) return undefined;
    const status = s3StatusOf(error);
    if (status === 404) return undefined;
    throw new ConnectorError(`HEAD s3://${bucket}/${key} failed`, { service: 's3', url: `s3://${bucket}/${key}`, ...(status === undefined ? {} : { status }) }, {
      retriable: status === undefined || status >= 500, cause: error,
    });
  }
}

/** Keys per DeleteObjects request (the S3 limit). */
export const MAX_DELETE_KEYS = 1000;

/**
 * Deletes `keys` from `bucket` with DeleteObjects requests of at most {@link MAX_DELETE_KEYS} keys; a missing
 * key counts as deleted (S3 semantics). Returns how many keys were deleted; throws a {@link SinkWriteError}
 * naming the first key the store refused.
 */
export async function deleteObjects(client: S3Client, bucket: string, keys: readonly string[], signal?: AbortSignal): Promise<number> {
  let deleted = 0;
  for (let start = 0; start < keys.length; start += MAX_DELETE_KEYS) {
    const chunk = keys.slice(start, start + MAX_DELETE_KEYS);
    let errors: readonly { Key?: string; Code?: string; Message?: string }[];
    try {
      const out = await client.send(new (s3Sdk().DeleteObjectsCommand)({
        Bucket: bucket, Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true },
      }), { abortSignal: signal });
      errors = out.Errors ?? [];
    } catch (error) {
      if (signal?.aborted) throw error;
      const status = s3StatusOf(error);
      throw new SinkWriteError(`DeleteObjects in s3://${bucket} failed (${chunk.length} keys from ${chunk[0]})`, { service: 's3', url: `s3://${bucket}/${chunk[0]}` }, {
        retriable: status === undefined || status >= 500, cause: error,
      });
    }
    if (errors.length > 0) {
      const first = errors[0];
      throw new SinkWriteError(`S3 refused to delete ${errors.length} of ${chunk.length} objects, e.g. s3://${bucket}/${first.Key ?? '?'}: ${first.Code ?? ''} ${first.Message ?? ''}`.trim(), {
        service: 's3', url: `s3://${bucket}/${first.Key ?? ''}`,
      }, { retriable: !errors.some((e) => e.Code === 'AccessDenied') });
    }
    deleted += chunk.length;
  }
  return deleted;
}
