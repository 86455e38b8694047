/**
 * A lake in a local directory (lake-store.ts): files are written to a hidden temp file named for the writer,
 * fsynced and renamed into place; staged files are published by a rename; control objects are created
 * exclusively by hard-linking a complete temp file to their name (a link fails when the name exists, and
 * nobody ever reads a half-written control object).
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { SinkWriteError } from '../../schemas/errors.js';
import { stagedNameOf, tempNameOf } from './lake-hidden-files.js';
import type { LakeEntry, LakeStore, StagedFile } from './lake-store.js';

/** Writes `bytes` to a fsynced temp file of `writer` beside `path`; returns the temp file's path. */
async function writeTemp(path: string, bytes: Uint8Array | string, writer: string): Promise<string> {
  const temp = join(dirname(path), tempNameOf(writer, randomBytes(6).toString('hex')));
  await mkdir(dirname(path), { recursive: true });
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  return temp;
}

async function writeAtomically(path: string, bytes: Uint8Array | string, writer: string): Promise<void> {
  let temp: string | undefined;
  try {
    temp = await writeTemp(path, bytes, writer);
    await rename(temp, path);
  } catch (error) {
    if (temp !== undefined) await rm(temp, { force: true }).catch(() => undefined);
    throw new SinkWriteError(`cannot write lake file ${path}`, { file: path, service: 'parquet' }, { cause: error });
  }
}

async function publish(file: StagedFile): Promise<string> {
  try {
    await rename(file.staged, file.path);
  } catch (error) {
    const published = (error as NodeJS.ErrnoException).code === 'ENOENT' && await stat(file.path).then(() => true, () => false);
    if (!published) throw new SinkWriteError(`cannot publish staged lake file ${file.staged}`, { file: file.path, service: 'parquet' }, { cause: error });
  }
  return file.path;
}

async function list(dir: string): Promise<LakeEntry[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const now = Date.now();
  const entries: LakeEntry[] = [];
  for (const name of names) {
    const info = await stat(join(dir, name)).catch(() => undefined); // gone meanwhile: not listed
    if (info?.isFile() === true) entries.push({ name, ageMs: now - info.mtimeMs });
  }
  return entries;
}

/** A lake store over the local directory `root`. */
export function localLakeStore(root: string): LakeStore {
  const absolute = resolve(root);
  const control = (relativePath: string): string => join(absolute, relativePath);
  return {
    root: absolute,
    async write(relativePath, bytes, writer) {
      const path = join(absolute, relativePath);
      await writeAtomically(path, bytes, writer);
      return path;
    },
    async stage(relativePath, bytes, writer) {
      const path = join(absolute, relativePath);
      const staged = join(dirname(path), stagedNameOf(relativePath.slice(relativePath.lastIndexOf('/') + 1), writer));
      await writeAtomically(staged, bytes, writer);
      return { relativePath, staged, path };
    },
    publish,
    async discard(file) {
      await rm(file.staged, { force: true });
    },
    list: (relativeDir) => list(join(absolute, relativeDir)),
    async remove(relativeDir, names) {
      for (const name of names) await rm(join(absolute, relativeDir, name), { force: true });
    },
    control: {
      async create(relativePath, text) {
        const path = control(relativePath);
        const temp = await writeTemp(path, text, 'control');
        try {
          await link(temp, path);
          return true;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
          throw error;
        } finally {
          await rm(temp, { force: true });
        }
      },
      async read(relativePath) {
        try {
          return await readFile(control(relativePath), 'utf8');
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
          throw error;
        }
      },
      put: (relativePath, text) => writeAtomically(control(relativePath), text, 'control'),
      async remove(relativePath) {
        await rm(control(relativePath), { force: true });
      },
    },
  };
}
