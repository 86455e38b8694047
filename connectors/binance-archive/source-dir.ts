/** An archive source over a local directory laid out like data.binance.vision (`<dir>/data/spot/...`). */
import { createReadStream } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConnectorError, NotFoundUpstreamError } from '../../schemas/errors.js';
import type { ListedObject } from './listing.js';
import type { ArchiveSource, SourceListing, SourceObject } from './source.js';

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function wrap(error: unknown, key: string): Error {
  if (isMissing(error)) return new NotFoundUpstreamError(`${key}: not in the archive directory`, { file: key }, error);
  return new ConnectorError(`${key}: ${(error as Error).message}`, { file: key }, { retriable: false, cause: error });
}

/** A source reading `<root>/<key>`. */
export function dirSource(root: string): ArchiveSource {
  const base = resolve(root);
  const pathOf = (key: string): string => {
    const path = resolve(base, key);
    if (!path.startsWith(base)) throw new ConnectorError(`key escapes the archive directory: ${key}`, { file: key }, { retriable: false });
    return path;
  };
  return {
    description: base,
    localPath: pathOf,
    async readText(key) {
      try { return await readFile(pathOf(key), 'utf8'); } catch (error) { throw wrap(error, key); }
    },
    async open(key): Promise<SourceObject> {
      try {
        const info = await stat(pathOf(key));
        return { body: createReadStream(pathOf(key), { highWaterMark: 1 << 20 }), size: info.size, lastModifiedMs: Math.floor(info.mtimeMs) };
      } catch (error) { throw wrap(error, key); }
    },
    async list(prefix): Promise<SourceListing> {
      let names: string[];
      try { names = (await readdir(join(base, prefix))).sort(); } catch (error) {
        if (isMissing(error)) return { objects: [], prefixes: [] };
        throw wrap(error, prefix);
      }
      const objects: ListedObject[] = [];
      const prefixes: string[] = [];
      for (const name of names) {
        const info = await stat(join(base, prefix, name));
        if (info.isDirectory()) prefixes.push(`${prefix}${name}/`);
        else objects.push({ key: `${prefix}${name}`, size: info.size, lastModifiedMs: Math.floor(info.mtimeMs) });
      }
      return { objects, prefixes };
    },
  };
}
