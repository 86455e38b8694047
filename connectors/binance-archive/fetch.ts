/**
 * Fetch one archive object so that it can be parsed: stream it (HTTP/S3) into a spool file while computing
 * its SHA-256, or hash a local file in place; reject a body that is not a zip (an HTML error page served with
 * 200) and compare the hash with the `.CHECKSUM`. Mismatches and transient errors are retried with the one
 * backoff policy; after the last mismatch the bytes are moved to the quarantine directory. Memory: one chunk.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, copyFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { retry, type BackoffOptions } from '../plumbing/backoff.js';
import { ChecksumMismatchError, ConnectorError, NotFoundUpstreamError, RetriesExhaustedError } from '../../schemas/errors.js';
import { newSha256 } from './checksum.js';
import type { ArchiveSource } from './source.js';
import { excerpt } from './excerpt.js';

/** A fetched, verified (unless told otherwise) archive object on local disk. */
export interface FetchedObject {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly lastModifiedMs: number | null;
  /** The path is a spool file the caller must remove with {@link releaseFetched}. */
  readonly spooled: boolean;
}

/** Options of {@link fetchArchiveObject}. */
export interface FetchOptions {
  /** Expected sha256 (hex); null skips verification (`--no-verify`). */
  readonly expectedSha256: string | null;
  /** Directory for spool files. */
  readonly spoolDir: string;
  /** Where mismatching bytes are kept, under their key. */
  readonly quarantineDir: string;
  readonly retry?: BackoffOptions;
  readonly signal?: AbortSignal;
  /** Called with the byte count of every chunk, for progress. */
  readonly onBytes?: (bytes: number) => void;
}

const ZIP_MAGIC = [0x50, 0x4b];

/** Describes the first bytes of a body that is not a zip. */
function notZip(key: string, head: Buffer): ConnectorError {
  const text = head.toString('utf8', 0, Math.min(head.length, 40)).replace(/\s+/g, ' ').trim();
  const what = /^<(!doctype|html|\?xml|error)/i.test(text) ? 'an HTML/XML page' : 'bytes that are not a zip';
  return new ConnectorError(`${key}: expected a zip, got ${what} (${excerpt(text)})`, { file: key }, { retriable: true });
}

async function hashInto(body: AsyncIterable<Buffer>, key: string, target: Writable | null, onBytes?: (n: number) => void) {
  const hash = newSha256();
  let size = 0;
  let head: Buffer | null = null;
  const counter = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (head === null) head = chunk.subarray(0, 64);
      hash.update(chunk);
      size += chunk.length;
      onBytes?.(chunk.length);
      if (target === null) return callback();
      if (target.write(chunk)) callback(); else target.once('drain', () => callback());
    },
    final(callback) { if (target === null) callback(); else target.end(callback); },
  });
  await pipeline(body, counter);
  const first: Buffer = head ?? Buffer.alloc(0);
  if (first.length < 2 || first[0] !== ZIP_MAGIC[0] || first[1] !== ZIP_MAGIC[1]) throw notZip(key, first);
  return { sha256: hash.digest('hex'), size };
}

/** One attempt: hash in place (local) or spool (remote); throws on a non-zip or a checksum mismatch. */
async function attempt(source: ArchiveSource, key: string, options: FetchOptions, state: { bad: string | null }): Promise<FetchedObject> {
  const local = source.localPath?.(key);
  const opened = await source.open(key, options.signal);
  const path = local ?? join(options.spoolDir, `${randomUUID()}.zip.part`);
  let result: { sha256: string; size: number };
  try {
    result = await hashInto(opened.body, key, local === undefined ? createWriteStream(path) : null, options.onBytes);
  } catch (error) {
    if (local === undefined) await rm(path, { force: true });
    throw error;
  }
  const fetched = { path, size: result.size, sha256: result.sha256, lastModifiedMs: opened.lastModifiedMs, spooled: local === undefined };
  if (options.expectedSha256 !== null && result.sha256 !== options.expectedSha256) {
    if (state.bad !== null && state.bad !== path) await rm(state.bad, { force: true });
    state.bad = path;
    throw new ChecksumMismatchError(options.expectedSha256, result.sha256, { file: key });
  }
  return fetched;
}

/**
 * Fetches and verifies `key`. Throws `NotFoundUpstreamError` (404), `RetriesExhaustedError` (cause: the last
 * error; a checksum mismatch leaves the bytes in the quarantine directory) or a non-retriable error.
 */
export async function fetchArchiveObject(source: ArchiveSource, key: string, options: FetchOptions): Promise<FetchedObject> {
  if (source.localPath === undefined) await mkdir(options.spoolDir, { recursive: true });
  const state = { bad: null as string | null };
  try {
    const fetched = await retry(() => attempt(source, key, options, state), { maxAttempts: 3, ...options.retry, signal: options.signal, context: { file: key } });
    if (state.bad !== null && source.localPath?.(key) !== state.bad) await rm(state.bad, { force: true });
    return fetched;
  } catch (error) {
    if (state.bad !== null && error instanceof RetriesExhaustedError && error.cause instanceof ChecksumMismatchError) {
      await quarantine(state.bad, source.localPath?.(key) === state.bad, join(options.quarantineDir, key));
    } else if (state.bad !== null && source.localPath?.(key) !== state.bad) {
      await rm(state.bad, { force: true });
    }
    throw error;
  }
}

async function quarantine(path: string, isSourceFile: boolean, target: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  if (isSourceFile) await copyFile(path, target); else await rename(path, target);
}

/** Removes a spool file (no-op for files read in place). */
export async function releaseFetched(fetched: FetchedObject): Promise<void> {
  if (fetched.spooled) await rm(fetched.path, { force: true });
}

/** Reads a local file's sha256 and size (for tests and the mirror's skip check). */
export async function sha256OfFile(path: string): Promise<{ sha256: string; size: number }> {
  const hash = newSha256();
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return { sha256: hash.digest('hex'), size: (await stat(path)).size };
}

/** True when an error means the object does not exist upstream. */
export function isNotFound(error: unknown): boolean {
  return error instanceof NotFoundUpstreamError;
}
