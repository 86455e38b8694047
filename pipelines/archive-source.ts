/** Chooses the archive source for `--archive URL|DIR|s3://bucket/prefix` (shared by backfill and mirror). */
import { existsSync, statSync } from 'node:fs';
import { dirSource } from '../connectors/binance-archive/source-dir.js';
import { httpSource } from '../connectors/binance-archive/source-http.js';
import { s3Source } from '../connectors/binance-archive/source-s3.js';
import type { ArchiveSource } from '../connectors/binance-archive/source.js';
import { createS3Client, type S3Config } from '../connectors/s3/config.js';
import { isS3Url, parseS3Url } from '../connectors/s3/s3-url.js';
import { ConfigError } from '../schemas/errors.js';

/** The source for an `--archive` value. */
export function archiveSourceOf(archive: string, options: { listingUrl?: string; s3?: S3Config; timeoutMs?: number }): ArchiveSource {
  if (/^https?:\/\//.test(archive)) {
    return httpSource({ baseUrl: archive, ...(options.listingUrl === undefined ? {} : { listingUrl: options.listingUrl }), ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs, idleTimeoutMs: options.timeoutMs }) });
  }
  if (isS3Url(archive)) return s3Source(createS3Client(options.s3 ?? {}), parseS3Url(archive));
  if (!existsSync(archive) || !statSync(archive).isDirectory()) {
    throw new ConfigError(`--archive ${JSON.stringify(archive)} is neither an http(s) URL, an s3:// URL nor an existing directory`);
  }
  return dirSource(archive);
}

/** S3 settings from resolved options (`s3Endpoint`, `s3Region`, `awsAccessKeyId`, `awsSecretAccessKey`). */
export function s3ConfigOf(config: Readonly<Record<string, unknown>>): S3Config {
  const pick = (name: string): string | undefined => (typeof config[name] === 'string' && config[name] !== '' ? config[name] as string : undefined);
  const endpoint = pick('s3Endpoint'); const region = pick('s3Region');
  const accessKeyId = pick('awsAccessKeyId'); const secretAccessKey = pick('awsSecretAccessKey');
  return {
    ...(endpoint === undefined ? {} : { endpoint }), ...(region === undefined ? {} : { region }),
    ...(accessKeyId === undefined ? {} : { accessKeyId }), ...(secretAccessKey === undefined ? {} : { secretAccessKey }),
  };
}
