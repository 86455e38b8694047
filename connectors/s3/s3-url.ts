/** Parsing and joining of `s3://bucket/prefix` URLs, pure. */
import { ConfigError } from '../../schemas/errors.js';

/** A bucket and a key prefix without leading or trailing slashes (`''` for the bucket root). */
export interface S3Location {
  readonly bucket: string;
  readonly prefix: string;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** True for strings that start with `s3://`. */
export function isS3Url(value: string): boolean {
  return value.startsWith('s3://');
}

/** Parses `s3://bucket[/prefix…]`; throws a `ConfigError` naming what is wrong. */
export function parseS3Url(url: string): S3Location {
  if (!isS3Url(url)) throw new ConfigError(`expected an s3://bucket/prefix URL, got ${JSON.stringify(url)}`);
  const rest = url.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  if (!BUCKET_NAME.test(bucket)) {
    throw new ConfigError(`invalid S3 bucket name ${JSON.stringify(bucket)} in ${JSON.stringify(url)}: 3–63 of a-z 0-9 . -`);
  }
  const prefix = slash < 0 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
  if (prefix.split('/').some((part) => part === '..' || part === '.')) {
    throw new ConfigError(`S3 prefix must not contain . or .. segments: ${JSON.stringify(url)}`);
  }
  return { bucket, prefix: prefix.replace(/\/{2,}/g, '/') };
}

/** The object key of `relativePath` under a location's prefix. */
export function s3KeyOf(location: S3Location, relativePath: string): string {
  const tail = relativePath.replace(/^\/+/, '');
  return location.prefix === '' ? tail : `${location.prefix}/${tail}`;
}

/** Formats a location back into `s3://bucket/prefix`. */
export function formatS3Url(location: S3Location): string {
  return location.prefix === '' ? `s3://${location.bucket}` : `s3://${location.bucket}/${location.prefix}`;
}
