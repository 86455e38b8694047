/**
 * Republished archive objects (Binance replaces files with new checksums): unit ids carry the content's
 * sha256 prefix (`<key>@<sha16>#<part>`), so the new bytes write new Parquet parts and ClickHouse insert
 * dedup tokens stay correct. Once the new version of an object is fully loaded, this removes the parts the
 * old version wrote, under every `type=…/symbol=<S>/date=…/` of the object's market, so the lake holds each
 * object once: on a local lake with `rm`, on an `s3://` lake by listing those prefixes (ListObjectsV2, paged)
 * and deleting the matching objects with DeleteObjects (≤ 1,000 keys a request).
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { hiveValue, isPartOfUnit } from '../connectors/parquet/lake-path.js';
import { MAX_DELETE_KEYS, deleteObjects, listObjects } from '../connectors/s3/objects.js';
import { isS3Url, parseS3Url, s3KeyOf } from '../connectors/s3/s3-url.js';
import type { ArchiveFile } from '../connectors/binance-archive/plan.js';

async function subdirs(path: string, prefix: string): Promise<string[]> {
  try {
    return (await readdir(path, { withFileTypes: true })).filter((d) => d.isDirectory() && d.name.startsWith(prefix)).map((d) => join(path, d.name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The unit id prefix of every batch the connector made from `file` with content `sha256`. */
function unitPrefixOf(file: ArchiveFile, sha256: string): string {
  return `${file.key}@${sha256.slice(0, 16)}`;
}

async function removeLocal(lakeRoot: string, file: ArchiveFile, unitPrefix: string): Promise<number> {
  const market = join(lakeRoot, 'exchange=binance', `market=${hiveValue(file.market)}`);
  let removed = 0;
  for (const type of await subdirs(market, 'type=')) {
    for (const symbol of await subdirs(type, `symbol=${hiveValue(file.symbol)}`)) {
      for (const date of await subdirs(symbol, 'date=')) {
        for (const name of await readdir(date)) {
          if (isPartOfUnit(name, unitPrefix)) { await rm(join(date, name), { force: true }); removed++; }
        }
      }
    }
  }
  return removed;
}

async function removeS3(lakeRoot: string, client: S3Client, file: ArchiveFile, unitPrefix: string): Promise<number> {
  const location = parseS3Url(lakeRoot);
  const bucket = location.bucket;
  const market = s3KeyOf(location, `exchange=binance/market=${hiveValue(file.market)}/`);
  let removed = 0;
  for await (const type of listObjects({ client, bucket, prefix: market, delimiter: '/' })) {
    if (type.kind !== 'prefix' || !type.prefix.slice(market.length).startsWith('type=')) continue;
    let doomed: string[] = [];
    for await (const object of listObjects({ client, bucket, prefix: `${type.prefix}symbol=${hiveValue(file.symbol)}/` })) {
      if (object.kind !== 'object' || !isPartOfUnit(object.key.slice(object.key.lastIndexOf('/') + 1), unitPrefix)) continue;
      doomed.push(object.key);
      if (doomed.length === MAX_DELETE_KEYS) { removed += await deleteObjects(client, bucket, doomed); doomed = []; }
    }
    removed += await deleteObjects(client, bucket, doomed);
  }
  return removed;
}

/**
 * Deletes the Parquet parts written from `file` with content `oldSha256` under a lake root (a directory, or
 * `s3://bucket/prefix` with `s3Client`); returns how many parts were removed.
 */
export async function removeSupersededParts(lakeRoot: string, file: ArchiveFile, oldSha256: string, s3Client?: S3Client): Promise<number> {
  const unitPrefix = unitPrefixOf(file, oldSha256);
  if (!isS3Url(lakeRoot)) return removeLocal(lakeRoot, file, unitPrefix);
  if (s3Client === undefined) throw new TypeError(`removeSupersededParts: the lake ${lakeRoot} is on S3 but no S3 client was given`);
  return removeS3(lakeRoot, s3Client, file, unitPrefix);
}
