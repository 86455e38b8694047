/**
 * The embedded backfill dataflow, top to bottom:
 *   resolved plan
 *   → fromBinanceArchive: files fetched and verified, `concurrency` at once; each file's batches parsed as they are pulled
 *   → loadArchiveFile: per file, batches validated (rejects become dead-letter batches; with early encoding,
 *     validated as they were encoded) and written in order to every sink, a few in flight; a staged file
 *     committed once all were acknowledged; the file's outcome (loaded only when every sink acknowledged it all)
 *   → manifest, progress and report.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { NEVER, concatMap, from, fromEvent, ignoreElements, lastValueFrom, merge, mergeMap, of, takeUntil, type Observable, type OperatorFunction } from 'rxjs';
import type { ResolvedPlan } from '../connectors/binance-archive/availability.js';
import { fromBinanceArchive, type FileOutcome } from '../connectors/binance-archive/from-binance-archive.js';
import type { Manifest } from '../connectors/binance-archive/manifest.js';
import type { ArchiveSource } from '../connectors/binance-archive/source.js';
import type { RecordBatch, SinkEncoding, WriteAck } from '../connectors/sink.js';
import { ReportBuilder, type BackfillReport } from './backfill-report.js';
import { validatedEncoders } from './early-encoding.js';
import { removeSupersededParts } from './lake-republish.js';
import type { Progress } from './progress.js';
import { sinkWriter } from './sink-writer.js';
import { loadArchiveFile } from './load-archive-file.js';

/**
 * Batches of one file written at once: parsing and validating the next batch overlaps the sinks' work on the
 * previous ones (the lake sink encodes on its own thread). Memory: this many batches per file in flight.
 */
const BATCHES_IN_FLIGHT = 4;

/** What {@link runBackfill} needs. */
export interface BackfillRun {
  readonly plan: ResolvedPlan;
  readonly source: ArchiveSource;
  readonly sinks: readonly OperatorFunction<RecordBatch, WriteAck>[];
  readonly manifest?: Manifest;
  readonly concurrency: number;
  readonly verify: boolean;
  readonly validate: boolean;
  readonly spoolDir?: string;
  readonly quarantineDir?: string;
  readonly batchRows?: number;
  readonly progress?: Progress;
  readonly signal?: AbortSignal;
  /** The Parquet lake sink's root (a directory, or `s3://…` with a client): parts of republished objects' old versions are removed from it. */
  readonly lake?: { readonly root: string; readonly s3Client?: S3Client };
  /**
   * The encoding the only sink offers (a ClickHouse server: RowBinary; the Parquet lake: its column buffers):
   * records are then validated and encoded as they are parsed (pipelines/early-encoding.ts). Absent: batches of
   * records, validated per batch.
   */
  readonly earlyEncoding?: SinkEncoding;
  /**
   * The sinks' preparation (pipelines/backfill-sinks.ts `ready`), running while the first files are fetched and
   * parsed: no batch is written before it resolved; when it rejects, the run stops and rejects with its error
   * (nothing was written, no file's outcome is recorded). @default prepared
   */
  readonly ready?: Promise<void>;
  /** Every sink stages (ClickHouse alone): each file is a staged unit, visible once whole and verified. @default false */
  readonly staged?: boolean;
  /** A file with a longer line fails (fromBinanceArchive `maxLineBytes`). */
  readonly maxLineBytes?: number;
  /** A file with more rejected rows fails (fromBinanceArchive `maxDeadLetters`). */
  readonly maxDeadLetters?: number;
}

/** Runs the backfill; resolves to the report (never rejects for per-file problems; rejects when the sinks' preparation fails). */
export async function runBackfill(run: BackfillRun): Promise<BackfillReport> {
  const report = new ReportBuilder(Date.now(), run.plan.listed);
  for (const missing of run.plan.missing) report.addMissing(missing);
  const ready = run.ready ?? Promise.resolve();
  const writer = sinkWriter(run.sinks, { ready });
  const files = fromBinanceArchive({
    files: run.plan.files, source: run.source, concurrency: run.concurrency, verify: run.verify, manifest: run.manifest,
    spoolDir: run.spoolDir, quarantineDir: run.quarantineDir, batchRows: run.batchRows, staged: run.staged === true,
    maxLineBytes: run.maxLineBytes, maxDeadLetters: run.maxDeadLetters,
    ...(run.earlyEncoding === undefined ? {} : { encoder: validatedEncoders(run.earlyEncoding, run.validate, (rows, key) => report.addRejected(rows, key)) }),
  });
  const recorded = files.pipe(
    mergeMap((event) => {
      if (event.type !== 'load') return of(event.outcome); // skipped, missing, or failed before its parse
      run.progress?.bytes(event.bytes);
      return from(loadArchiveFile(event, writer, {
        inFlight: BATCHES_IN_FLIGHT, validate: run.validate, onRows: (rows) => run.progress?.rows(rows), onRejected: (rows, key) => report.addRejected(rows, key),
      }));
    }),
    concatMap(async (outcome) => { run.progress?.file(); report.addOutcome(outcome); await record(run, report, outcome); }),
  );
  // A failed preparation stops the run with its error: nothing was written, no outcome recorded.
  const preparationFailure = from(ready).pipe(ignoreElements());
  try {
    await lastValueFrom(merge(recorded, preparationFailure).pipe(takeUntil(abortOf(run.signal))), { defaultValue: undefined });
    if (run.signal?.aborted !== true) {
      await ready; // its failure is the run's, also when every file was skipped before it settled
      await writer.finish(); // the sinks' own ends (a lake writer's heartbeat removed) before the report: the process may exit next
    }
  } finally {
    writer.close();
    run.progress?.stop();
  }
  return report.finish(Date.now());
}

/** Emits once the run's signal aborts (never without one). */
function abortOf(signal: AbortSignal | undefined): Observable<unknown> {
  if (signal === undefined) return NEVER;
  return signal.aborted ? of(true) : fromEvent(signal, 'abort');
}

/** Records a file's outcome in the manifest; a republished object's old parts leave the lake first. */
async function record(run: BackfillRun, report: ReportBuilder, outcome: FileOutcome): Promise<void> {
  const manifest: Manifest | undefined = run.manifest;
  if (manifest === undefined || outcome.sha256 === null) return;
  if (outcome.status !== 'loaded' && outcome.status !== 'failed') return;
  const previous = manifest.get(outcome.file.key);
  if (outcome.status === 'loaded' && previous?.status === 'loaded' && previous.sha256 !== outcome.sha256) {
    const removedParts = run.lake === undefined ? null : await removeSupersededParts(run.lake.root, outcome.file, previous.sha256, run.lake.s3Client);
    report.addRepublished({ key: outcome.file.key, oldSha256: previous.sha256, newSha256: outcome.sha256, removedParts });
  }
  await manifest.record({
    key: outcome.file.key, size: outcome.bytes, sha256: outcome.sha256, rows: outcome.stats?.rows ?? 0,
    status: outcome.status === 'loaded' ? 'loaded' : outcome.quarantined ? 'quarantined' : 'failed',
    loadedAt: new Date().toISOString(), lastModifiedMs: outcome.lastModifiedMs,
    ...(outcome.reason === null ? {} : { reason: outcome.reason }),
  });
}
