/**
 * `mirrorArchive(options)`: copies archive objects into an S3 bucket ("S3 direct sync"), each by streaming
 * GET → multipart PUT with no temporary file. The SHA-256 is computed on the way through; a body that is not
 * a zip or does not match its `.CHECKSUM` fails the stream before the upload completes, so no unverified
 * object ever becomes visible (then retried with the one backoff policy). Each object is stored with
 * `x-amz-meta-sha256`; objects already present with the same checksum are skipped, so a rerun resumes.
 * The `.CHECKSUM` companion is copied too. Cold Observable of per-object outcomes; unsubscribing aborts.
 */
import { DeleteObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Readable, Transform } from 'node:stream';
import { Observable, defer, from, mergeMap } from 'rxjs';
import { retry, type BackoffOptions } from '../plumbing/backoff.js';
import { s3StatusOf } from '../s3/objects.js';
import { uploadStream } from '../s3/upload-stream.js';
import { ChecksumMismatchError, ConnectorError, NotFoundUpstreamError, RetriesExhaustedError } from '../../schemas/errors.js';
import type { PlannedFile } from './availability.js';
import { checksumKey, newSha256, parseChecksumText } from './checksum.js';
import type { ArchiveSource } from './source.js';

/** Where objects go: `s3://bucket/prefix/<key>`. */
export interface MirrorTarget {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
}

/** What became of one object. */
export interface MirrorOutcome {
  readonly key: string;
  readonly status: 'copied' | 'skipped' | 'missing' | 'failed';
  readonly bytes: number;
  readonly sha256: string | null;
  readonly reason: string | null;
}

/** Options of {@link mirrorArchive}. */
export interface MirrorOptions {
  readonly files: readonly PlannedFile[];
  readonly source: ArchiveSource;
  readonly target: MirrorTarget;
  /** Objects in flight. @default 4 */
  readonly concurrency?: number;
  readonly retry?: BackoffOptions;
  /** Multipart part size. @default 8 MiB */
  readonly partSizeBytes?: number;
}

const targetKey = (target: MirrorTarget, key: string): string => (target.prefix === '' ? key : `${target.prefix}/${key}`);

async function storedSha256(target: MirrorTarget, key: string, signal: AbortSignal): Promise<string | null> {
  try {
    const head = await target.client.send(new HeadObjectCommand({ Bucket: target.bucket, Key: targetKey(target, key) }), { abortSignal: signal });
    return head.Metadata?.sha256 ?? null;
  } catch (error) {
    const status = s3StatusOf(error);
    if (status === 404 || (error as Error).name === 'NotFound' || (error as Error).name === 'NoSuchKey') return null;
    throw new ConnectorError(`HEAD s3://${target.bucket}/${targetKey(target, key)}: ${(error as Error).message}`, { file: key }, { cause: error });
  }
}

/** A pass-through that hashes, checks the zip magic and fails at the end on a checksum mismatch. */
function verifying(key: string, expected: string, counter: { bytes: number }): Transform {
  const hash = newSha256();
  let first = true;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (first && (chunk[0] !== 0x50 || chunk[1] !== 0x4b)) {
        return callback(new ConnectorError(`${key}: expected a zip, got ${JSON.stringify(chunk.toString('utf8', 0, 40))}`, { file: key }));
      }
      first = false;
      hash.update(chunk);
      counter.bytes += chunk.length;
      callback(null, chunk);
    },
    flush(callback) {
      const actual = hash.digest('hex');
      callback(actual === expected ? null : new ChecksumMismatchError(expected, actual, { file: key }));
    },
  });
}

async function copyOnce(options: MirrorOptions, key: string, expected: string, signal: AbortSignal): Promise<number> {
  const opened = await options.source.open(key, signal);
  const counter = { bytes: 0 };
  const check = verifying(key, expected, counter);
  const body = Readable.from(opened.body).pipe(check);
  let streamError: unknown = null;
  check.on('error', (error) => { streamError = error; });
  try {
    await uploadStream({
      client: options.target.client, bucket: options.target.bucket, key: targetKey(options.target, key), body,
      contentType: 'application/zip', metadata: { sha256: expected }, signal,
      ...(options.partSizeBytes === undefined ? {} : { partSizeBytes: options.partSizeBytes }),
    });
  } catch (error) {
    throw streamError ?? error;
  }
  if (streamError !== null) {
    await options.target.client.send(new DeleteObjectCommand({ Bucket: options.target.bucket, Key: targetKey(options.target, key) }));
    throw streamError;
  }
  return counter.bytes;
}

async function mirrorOne(options: MirrorOptions, file: PlannedFile, signal: AbortSignal): Promise<MirrorOutcome[]> {
  const key = file.key;
  const backoff = { maxAttempts: 3, ...options.retry, signal, context: { file: key } };
  try {
    const text = await retry(() => options.source.readText(checksumKey(key), signal), backoff);
    const expected = parseChecksumText(text, checksumKey(key));
    if ((await storedSha256(options.target, key, signal)) === expected) return [{ key, status: 'skipped', bytes: 0, sha256: expected, reason: 'already in the bucket with the same sha256' }];
    const bytes = await retry(() => copyOnce(options, key, expected, signal), backoff);
    await uploadStream({ client: options.target.client, bucket: options.target.bucket, key: targetKey(options.target, checksumKey(key)), body: text, contentType: 'text/plain', signal });
    return [{ key, status: 'copied', bytes, sha256: expected, reason: null }];
  } catch (error) {
    if (signal.aborted) throw error;
    const notFound = error instanceof NotFoundUpstreamError || (error instanceof RetriesExhaustedError && error.cause instanceof NotFoundUpstreamError);
    if (notFound && file.fallback.length > 0) {
      const dailies: MirrorOutcome[] = [];
      for (const daily of file.fallback) dailies.push(...await mirrorOne(options, { ...daily, size: null, lastModifiedMs: null }, signal));
      return dailies;
    }
    return [{ key, status: notFound ? 'missing' : 'failed', bytes: 0, sha256: null, reason: error instanceof Error ? error.message : String(error) }];
  }
}

/** Mirrors the planned files; see the module doc. */
export function mirrorArchive(options: MirrorOptions): Observable<MirrorOutcome> {
  return defer(() => from(options.files).pipe(
    mergeMap((file) => new Observable<MirrorOutcome>((subscriber) => {
      const controller = new AbortController();
      mirrorOne(options, file, controller.signal).then(
        (outcomes) => { for (const o of outcomes) subscriber.next(o); subscriber.complete(); },
        (error: unknown) => { if (!controller.signal.aborted) subscriber.error(error); },
      );
      return () => controller.abort();
    }), Math.max(1, options.concurrency ?? 4)),
  ));
}
