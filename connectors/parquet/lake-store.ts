/**
 * Where lake files go: a local directory (write a hidden temp file, fsync, rename — readers never see a
 * partial file) or an S3 prefix (a completed multipart upload is the only way an object appears). Both
 * replace an existing file of the same name, which is what makes retried batches idempotent.
 *
 * A local lake can also stage files: a complete file is written under a hidden name beside its own
 * (`.<name>.staged`: no `*.parquet` glob matches it, and pyarrow, Spark and Hive skip names starting with a
 * dot), then published by a rename, or discarded. That lets a whole input (an archive file) appear only once
 * it was verified, without holding its rows in memory (connectors/sink.ts `Stage`).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { SinkWriteError } from '../../schemas/errors.js';
import { isS3Url, parseS3Url, s3KeyOf, type S3Location } from '../s3/s3-url.js';
import { uploadStream } from '../s3/upload-stream.js';
import { isPartOfUnit } from './lake-path.js';

/** A complete file written under its staged name, not yet visible. */
export interface StagedFile {
  /** Where it is now. */
  readonly staged: string;
  /** Where `staging.publish` moves it. */
  readonly path: string;
}

/** Writes one complete file at a path relative to the lake root and returns its full location. */
export interface LakeStore {
  /** The root as given (`/abs/dir` or `s3://bucket/prefix`). */
  readonly root: string;
  write(relativePath: string, bytes: Uint8Array, signal?: AbortSignal): Promise<string>;
  /** Staging, where the store supports it (local lakes): see the module doc. Replaces a staged file of the same name. */
  readonly staging?: {
    stage(relativePath: string, bytes: Uint8Array): Promise<StagedFile>;
    /** Makes a staged file visible at its path, replacing a file there; done already is fine (a retried publish). */
    publish(file: StagedFile): Promise<string>;
    /** Removes a staged file (gone already is fine). */
    discard(file: StagedFile): Promise<void>;
    /**
     * After `files` of a unit were published: removes, from their directories, every other part named for the
     * unit (`<unitPrefix>#…`, lake-path.ts `isPartOfUnit`), visible or staged — what an earlier run of the same
     * unit left that this one did not write (cut into other parts, or killed while staging). Returns the count.
     */
    sweep(files: readonly StagedFile[], unitPrefix: string): Promise<number>;
  };
}

/** The staged name of a lake file (see the module doc). */
function stagedPathOf(path: string): string {
  return join(dirname(path), `.${basename(path)}.staged`);
}

async function publishLocal(file: StagedFile): Promise<string> {
  try {
    await rename(file.staged, file.path);
  } catch (error) {
    const published = (error as NodeJS.ErrnoException).code === 'ENOENT' && await stat(file.path).then(() => true, () => false);
    if (!published) throw new SinkWriteError(`cannot publish staged lake file ${file.staged}`, { file: file.path, service: 'parquet' }, { cause: error });
  }
  return file.path;
}

async function writeLocalAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const temp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dirname(path), { recursive: true });
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw new SinkWriteError(`cannot write lake file ${path}`, { file: path, service: 'parquet' }, { cause: error });
  }
}

async function sweepLocal(files: readonly StagedFile[], unitPrefix: string): Promise<number> {
  const kept = new Set(files.map((f) => f.path));
  let removed = 0;
  for (const dir of new Set(files.map((f) => dirname(f.path)))) {
    for (const name of await readdir(dir)) {
      const part = name.startsWith('.') && name.endsWith('.staged') ? name.slice(1, -'.staged'.length) : name;
      if (!isPartOfUnit(part, unitPrefix) || kept.has(join(dir, name))) continue;
      await rm(join(dir, name), { force: true });
      removed++;
    }
  }
  return removed;
}

function localStore(root: string): LakeStore {
  const absolute = resolve(root);
  return {
    root: absolute,
    async write(relativePath, bytes) {
      const path = join(absolute, relativePath);
      await writeLocalAtomically(path, bytes);
      return path;
    },
    staging: {
      async stage(relativePath, bytes) {
        const path = join(absolute, relativePath);
        const staged = stagedPathOf(path);
        await writeLocalAtomically(staged, bytes);
        return { staged, path };
      },
      publish: publishLocal,
      async discard(file) {
        await rm(file.staged, { force: true });
      },
      sweep: sweepLocal,
    },
  };
}

function s3Store(root: string, location: S3Location, client: S3Client): LakeStore {
  return {
    root,
    async write(relativePath, bytes, signal) {
      const key = s3KeyOf(location, relativePath);
      await uploadStream({
        client, bucket: location.bucket, key, body: bytes, contentLength: bytes.byteLength,
        contentType: 'application/vnd.apache.parquet', ...(signal === undefined ? {} : { signal }),
      });
      return `s3://${location.bucket}/${key}`;
    },
  };
}

/** The store for a lake root: a local directory, or `s3://bucket/prefix` (then `s3Client` is required). */
export function lakeStoreFor(root: string, s3Client?: S3Client): LakeStore {
  if (!isS3Url(root)) return localStore(root);
  if (s3Client === undefined) {
    throw new SinkWriteError(`lake root ${root} is on S3 but no S3 client/config was given`, { url: root }, { retriable: false });
  }
  return s3Store(root, parseS3Url(root), s3Client);
}
