/**
 * An archive source over a local directory laid out like data.binance.vision (`<dir>/data/spot/...`). Links are
 * followed only within the directory: a key whose real path (symbolic links resolved) lies outside it is
 * refused, so `--archive DIR` never reads, lists or quotes a file elsewhere.
 */
import { createReadStream, realpathSync } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { ConnectorError, NotFoundUpstreamError } from '../../schemas/errors.js';
import type { ListedObject } from './listing.js';
import type { ArchiveSource, SourceListing, SourceObject } from './source.js';

/** Bytes {@link ArchiveSource.readText} reads at most: a `.CHECKSUM` is under 200. */
const MAX_TEXT_BYTES = 64 * 1024;

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function wrap(error: unknown, key: string): Error {
  if (error instanceof ConnectorError) return error;
  if (isMissing(error)) return new NotFoundUpstreamError(`${key}: not in the archive directory`, { file: key }, error);
  return new ConnectorError(`${key}: ${(error as Error).message}`, { file: key }, { retriable: false, cause: error });
}

function escapes(key: string): ConnectorError {
  return new ConnectorError(`${key}: refused, it links outside the archive directory`, { file: key }, { retriable: false });
}

/** A source reading `<root>/<key>`. */
export function dirSource(root: string): ArchiveSource {
  const base = resolve(root);
  let realBase: string | undefined;
  /**
   * The path of a key, checked: inside the directory, and so is its real path (links resolved) when it exists.
   * Synchronous, for `localPath`: a few calls per file.
   */
  const pathOf = (key: string): string => {
    const path = resolve(base, key);
    if (path !== base && !path.startsWith(base + sep)) throw new ConnectorError(`key escapes the archive directory: ${key}`, { file: key }, { retriable: false });
    let real: string;
    try {
      real = realpathSync(path);
      realBase ??= realpathSync(base);
    } catch (error) {
      if (isMissing(error)) return path; // reading it reports it missing
      throw wrap(error, key);
    }
    if (real !== realBase && !real.startsWith(realBase + sep)) throw escapes(key);
    return path;
  };
  return {
    description: base,
    localPath: pathOf,
    async readText(key) {
      try {
        const handle = await open(pathOf(key), 'r');
        try {
          const buffer = Buffer.alloc(MAX_TEXT_BYTES + 1);
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
          if (bytesRead > MAX_TEXT_BYTES) throw new ConnectorError(`${key}: larger than ${MAX_TEXT_BYTES} bytes, not a small text object`, { file: key }, { retriable: false });
          return buffer.toString('utf8', 0, bytesRead);
        } finally {
          await handle.close();
        }
      } catch (error) { throw wrap(error, key); }
    },
    async open(key): Promise<SourceObject> {
      try {
        const path = pathOf(key);
        const info = await stat(path);
        return { body: createReadStream(path, { highWaterMark: 1 << 20 }), size: info.size, lastModifiedMs: Math.floor(info.mtimeMs) };
      } catch (error) { throw wrap(error, key); }
    },
    async list(prefix): Promise<SourceListing> {
      let names: string[];
      try { names = (await readdir(pathOf(prefix))).sort(); } catch (error) {
        if (isMissing(error)) return { objects: [], prefixes: [] };
        throw wrap(error, prefix);
      }
      const objects: ListedObject[] = [];
      const prefixes: string[] = [];
      for (const name of names) {
        const key = `${prefix}${name}`;
        let path: string;
        try { path = pathOf(key); } catch {
          // Listed with nothing read from it, so that loading it fails with the refusal, naming it.
          objects.push({ key, size: 0, lastModifiedMs: 0 });
          continue;
        }
        const info = await stat(path);
        if (info.isDirectory()) prefixes.push(`${key}/`);
        else objects.push({ key, size: info.size, lastModifiedMs: Math.floor(info.mtimeMs) });
      }
      return { objects, prefixes };
    },
  };
}
