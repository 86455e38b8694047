/**
 * An archive source over an S3 bucket holding the data.binance.vision layout under a prefix (a user's raw
 * zone, e.g. filled by `lakehouse mirror`). NoSuchKey/404 → `NotFoundUpstreamError`; other failures are
 * retriable `ConnectorError`s. The client is passed in (connectors/s3 creates it).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { ConnectorError, NotFoundUpstreamError } from '../../schemas/errors.js';
import { s3StatusOf } from '../s3/objects.js';
import { s3Sdk } from '../s3/sdk.js';
import type { ListedObject } from './listing.js';
import type { ArchiveSource, SourceObject } from './source.js';

/** Where the archive is: bucket and key prefix (no slashes at either end; '' for the root). */
export interface S3SourceLocation {
  readonly bucket: string;
  readonly prefix: string;
}

function wrap(error: unknown, key: string): Error {
  const status = s3StatusOf(error);
  const name = (error as Error).name;
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
    return new NotFoundUpstreamError(`s3 ${key}: not in the bucket`, { file: key, status: 404 }, error);
  }
  return new ConnectorError(`s3 ${key}: ${(error as Error).message}`, { file: key, ...(status === undefined ? {} : { status }) }, { cause: error, retriable: status === undefined || status >= 500 });
}

/** A source reading `s3://bucket/prefix/<key>`. */
export function s3Source(client: S3Client, location: S3SourceLocation): ArchiveSource {
  const full = (key: string): string => (location.prefix === '' ? key : `${location.prefix}/${key}`);
  const strip = (key: string): string => (location.prefix === '' ? key : key.slice(location.prefix.length + 1));
  const open = async (key: string, signal?: AbortSignal): Promise<SourceObject> => {
    try {
      const out = await client.send(new (s3Sdk().GetObjectCommand)({ Bucket: location.bucket, Key: full(key) }), { abortSignal: signal });
      return {
        body: out.Body as Readable, size: out.ContentLength ?? null,
        lastModifiedMs: out.LastModified === undefined ? null : out.LastModified.getTime(),
      };
    } catch (error) { throw wrap(error, key); }
  };
  return {
    description: `s3://${location.bucket}/${location.prefix}`,
    open,
    async readText(key, signal) {
      const { body } = await open(key, signal);
      const parts: Buffer[] = [];
      try { for await (const chunk of body) parts.push(chunk); } catch (error) { throw wrap(error, key); }
      return Buffer.concat(parts).toString('utf8');
    },
    async list(prefix, signal) {
      const objects: ListedObject[] = [];
      const prefixes: string[] = [];
      let token: string | undefined;
      do {
        let out;
        try {
          out = await client.send(new (s3Sdk().ListObjectsV2Command)({ Bucket: location.bucket, Prefix: full(prefix), Delimiter: '/', ContinuationToken: token }), { abortSignal: signal });
        } catch (error) { throw wrap(error, prefix); }
        for (const o of out.Contents ?? []) objects.push({ key: strip(o.Key ?? ''), size: o.Size ?? 0, lastModifiedMs: o.LastModified?.getTime() ?? null });
        for (const p of out.CommonPrefixes ?? []) prefixes.push(strip(p.Prefix ?? ''));
        token = out.IsTruncated === true ? out.NextContinuationToken : undefined;
      } while (token !== undefined);
      return { objects, prefixes };
    },
  };
}
