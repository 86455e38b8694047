/**
 * A lake in a local directory (lake-store.ts): files are written to a hidden temp file named for the writer,
 * fsynced and renamed into place; staged files are published by a rename; control objects are created
 * exclusively by hard-linking a complete temp file to their name (a link fails when the name exists, and
 * nobody ever reads a half-written control object). A file's tag is its inode, size and mtime (a rename keeps
 * them, a replacement changes the inode); `removeIfUnchanged` renames the file aside first, so a replacement
 * landing between the check and the removal is noticed and put back (a hard link, unless a newer file took the
 * name meanwhile).
 */
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { link, mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { SinkWriteError } from '../../schemas/errors.js';
import { hiddenFileOf, retiredNameOf, stagedNameOf, tempNameOf } from './lake-hidden-files.js';
import type { LakeEntry, LakeStore, LocalCopy, StagedFile } from './lake-store.js';

const tagOf = (info: Stats): string => `${info.ino}:${info.size}:${info.mtimeMs}`;

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

async function statOrGone(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

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

async function listDirs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

async function localCopy(path: string): Promise<LocalCopy | undefined> {
  const info = await statOrGone(path);
  return info === undefined ? undefined : { path, tag: tagOf(info) };
}

async function removeIfUnchanged(path: string, tag: string, writer: string): Promise<boolean> {
  const info = await statOrGone(path);
  if (info === undefined) return true;
  if (tagOf(info) !== tag) return false;
  const retired = join(dirname(path), retiredNameOf(basename(path), writer));
  try {
    await rename(path, retired);
  } catch (error) {
    if (isMissing(error)) return true;
    throw error;
  }
  const moved = await stat(retired);
  if (tagOf(moved) !== tag) {
    // Replaced between the check and the rename: the newer file goes back, unless an even newer one is there.
    await link(retired, path).catch((error: unknown) => { if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error; });
  }
  await rm(retired, { force: true });
  return tagOf(moved) === tag;
}

async function restoreRetired(dir: string, name: string): Promise<void> {
  const part = hiddenFileOf(name)?.part;
  if (part === undefined) return;
  await link(join(dir, name), join(dir, part)).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST' && code !== 'ENOENT') throw error;
  });
  await rm(join(dir, name), { force: true });
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
    listDirs: (relativeDir) => listDirs(join(absolute, relativeDir)),
    localCopy: (relativePath) => localCopy(join(absolute, relativePath)),
    removeIfUnchanged: (relativePath, tag, writer) => removeIfUnchanged(join(absolute, relativePath), tag, writer),
    restoreRetired: (relativeDir, name) => restoreRetired(join(absolute, relativeDir), name),
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
