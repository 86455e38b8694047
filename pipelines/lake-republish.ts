/**
 * Republished archive objects (Binance replaces files with new checksums): unit ids carry the content's
 * sha256 prefix (`<key>@<sha16>#<part>`), so the new bytes write new Parquet parts and ClickHouse insert
 * dedup tokens stay correct. Once the new version of an object is fully loaded, this removes the parts the
 * old version wrote to a local lake (their names hold `<zip name>_<old sha16>_`), so the lake holds each
 * object once. S3 lakes keep the old parts (reported by the caller); queries there should dedupe by version.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { hiveValue } from '../connectors/parquet/lake-path.js';
import type { ArchiveFile } from '../connectors/binance-archive/plan.js';

async function subdirs(path: string, prefix: string): Promise<string[]> {
  try {
    return (await readdir(path, { withFileTypes: true })).filter((d) => d.isDirectory() && d.name.startsWith(prefix)).map((d) => join(path, d.name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Deletes the Parquet parts written from `file` with content `oldSha256` under a local lake; returns how many. */
export async function removeSupersededParts(lakeRoot: string, file: ArchiveFile, oldSha256: string): Promise<number> {
  const zipName = file.key.slice(file.key.lastIndexOf('/') + 1);
  const marker = `${zipName.replace(/[^A-Za-z0-9._-]+/g, '_')}_${oldSha256.slice(0, 16)}_`;
  const market = join(lakeRoot, 'exchange=binance', `market=${hiveValue(file.market)}`);
  let removed = 0;
  for (const type of await subdirs(market, 'type=')) {
    for (const symbol of await subdirs(type, `symbol=${hiveValue(file.symbol)}`)) {
      for (const date of await subdirs(symbol, 'date=')) {
        for (const name of await readdir(date)) {
          if (name.endsWith('.parquet') && name.includes(marker)) { await rm(join(date, name), { force: true }); removed++; }
        }
      }
    }
  }
  return removed;
}
