/**
 * Keeps the day partitions a long-running writer publishes into compacted (`lakehouse serve --sink parquet`):
 * the lake sink tells it each directory it wrote (`toParquetLake({ onWritten })`), and it compacts a directory
 * (compact-lake-dir.ts) once its day is over (a write into a later date of the same stream, the watermark as the
 * sink sees it), once nothing was written into it for `quietMs`, and at `close` (for at most `closeWithinMs`) every directory written since its
 * last compaction. A directory that took `maxWrites` writes meanwhile gets a minor compaction (`newOnly`: the new
 * parts into one, without rereading the day), which bounds the parts of a day still being written. One
 * compaction at a time, in the background; a failed one is reported and tried again at the next trigger.
 *
 * Crash safety: on its first write into a directory the compactor puts its mark there (compaction-marks.ts), and
 * puts it back when the directory was written again during its compaction; at start it compacts what dead
 * writers marked. So a process killed at any point leaves marks that the next `serve` (or `lakehouse compact`)
 * picks up. Memory: one entry per directory written since its last compaction.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client, type S3Config } from '../s3/config.js';
import { compactLakeDir } from './compact-lake-dir.js';
import { deadMarkedDirs, markDir } from './compaction-marks.js';
import { lakeStoreFor } from './lake-store-for.js';
import { startLakeWriter, type LakeLeaseOptions } from './lake-writer.js';

/** Options of {@link startLakeCompactor}. */
export interface LakeCompactorOptions {
  /** A local directory or `s3://bucket/prefix`. */
  readonly root: string;
  readonly s3?: S3Config;
  readonly s3Client?: S3Client;
  readonly lease?: LakeLeaseOptions;
  /** A directory nothing was written into for this long is compacted. @default 60000 */
  readonly quietMs?: number;
  /** A directory written this often since its last compaction gets a minor compaction (its new parts into one). @default 64 */
  readonly maxWrites?: number;
  /** A compaction failed (the directory stays due). */
  readonly onError?: (error: unknown, dir: string) => void;
  /**
   * `close` compacts for at most this long, then abandons what is left: a stop must not wait on a day's
   * rewrite, and the marks of the directories left make the next start (or `lakehouse compact`) do them.
   * @default 2000
   */
  readonly closeWithinMs?: number;
}

/** A running compactor. */
export interface LakeCompactor {
  /** A file was written into lake directory `dir` (relative to the root). */
  written(dir: string): void;
  /**
   * Compacts the directories written since their last compaction, for at most `closeWithinMs`, then stops (its
   * writer's heartbeat removed; what was left keeps its mark). Once.
   */
  close(): Promise<void>;
}

interface Due { writes: number; lastWriteMs: number; now: boolean }

/** Starts a compactor over the lake at `options.root`; see the module doc. */
export function startLakeCompactor(options: LakeCompactorOptions): LakeCompactor {
  const ownsClient = options.s3Client === undefined && options.s3 !== undefined;
  const client = options.s3Client ?? (options.s3 === undefined ? undefined : createS3Client(options.s3));
  const writer = startLakeWriter(lakeStoreFor(options.root, client), options.lease);
  const quietMs = options.quietMs ?? 60_000;
  const maxWrites = options.maxWrites ?? 64;
  const report = options.onError ?? (() => undefined);
  const pending = new Map<string, Due>();
  const marking = new Set<Promise<void>>();
  let running: Promise<void> = Promise.resolve();
  let busy = false;
  let closed: Promise<void> | undefined;
  const stopping = new AbortController();

  const mark = (dir: string): void => {
    const put = markDir(writer, dir).catch((error: unknown) => report(error, dir)).finally(() => marking.delete(put));
    marking.add(put);
  };
  /** Compacts each directory: fully, or only its new parts (`minor`). */
  const compact = async (dirs: readonly string[], minor: ReadonlySet<string> = new Set()): Promise<void> => {
    await Promise.all(marking);
    for (const dir of dirs) {
      if (stopping.signal.aborted) return; // left marked, for the next start
      const entry = pending.get(dir);
      if (minor.has(dir) && entry !== undefined) entry.writes = 0; // stays pending for its full compaction
      else pending.delete(dir); // a write during the compaction makes it due again
      try {
        await compactLakeDir(writer, dir, { newOnly: minor.has(dir), signal: stopping.signal });
      } catch (error) {
        if (stopping.signal.aborted) return; // abandoned mid-way at close: crash-safe, its mark stays
        report(error, dir);
        if (!pending.has(dir)) pending.set(dir, { writes: 0, lastWriteMs: Date.now(), now: false });
        continue;
      }
      if (!minor.has(dir) && pending.has(dir)) mark(dir); // written meanwhile: the compaction cleared the mark those writes need
    }
  };
  const isDue = (d: Due, now: number): boolean => d.now || now - d.lastWriteMs >= quietMs;
  const tick = (): void => {
    if (busy || closed !== undefined) return;
    const now = Date.now();
    const full = [...pending].filter(([, d]) => isDue(d, now)).map(([dir]) => dir);
    const minor = [...pending].filter(([, d]) => !isDue(d, now) && d.writes >= maxWrites).map(([dir]) => dir);
    if (full.length + minor.length === 0) return;
    busy = true;
    running = compact([...full, ...minor], new Set(minor)).finally(() => { busy = false; });
  };
  const timer = setInterval(tick, Math.max(50, Math.min(5_000, quietMs / 4)));
  timer.unref();
  busy = true;
  running = deadMarkedDirs(writer).then(compact, (error: unknown) => report(error, '_manifest/compaction')).finally(() => { busy = false; });

  return {
    written(dir) {
      if (closed !== undefined) return;
      const cut = dir.lastIndexOf('/date=');
      if (cut >= 0) {
        const stream = dir.slice(0, cut + 1);
        for (const [other, d] of pending) if (other.startsWith(stream) && other < dir) d.now = true; // a later day began
      }
      let entry = pending.get(dir);
      if (entry === undefined) {
        pending.set(dir, (entry = { writes: 0, lastWriteMs: 0, now: false }));
        mark(dir);
      }
      entry.writes++;
      entry.lastWriteMs = Date.now();
    },
    close() {
      closed ??= (async () => {
        clearInterval(timer);
        const deadline = setTimeout(() => stopping.abort(), Math.max(0, options.closeWithinMs ?? 2_000));
        await running;
        await compact([...pending.keys()]);
        clearTimeout(deadline);
        await writer.close().catch(() => undefined);
        if (ownsClient) client?.destroy();
      })();
      return closed;
    },
  };
}
