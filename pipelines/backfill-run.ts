/**
 * The embedded backfill dataflow, top to bottom: resolved plan → fromBinanceArchive (bounded concurrency,
 * verified fetch, streaming parse) → validate (per batch, rejects become dead letters; or, with one sink
 * taking an early encoding, validate + encode a few thousand rows at a time as they are parsed) → every sink (each
 * batch to all of them) → acknowledgements release the file's next batches (backpressure, a few batches in
 * flight per file) → per-file outcomes
 * into the manifest, the progress display and the report.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { OperatorFunction } from 'rxjs';
import type { ResolvedPlan } from '../connectors/binance-archive/availability.js';
import { fromBinanceArchive, type ArchiveEvent, type FileOutcome } from '../connectors/binance-archive/from-binance-archive.js';
import type { Manifest } from '../connectors/binance-archive/manifest.js';
import type { ArchiveSource } from '../connectors/binance-archive/source.js';
import { rowsOf, type RecordBatch, type WriteAck } from '../connectors/sink.js';
import { splitRejected, validateRecords } from '../operators/validate.js';
import { ReportBuilder, type BackfillReport } from './backfill-report.js';
import { earlyEncoders, type EarlyEncoding } from './early-encoding.js';
import { removeSupersededParts } from './lake-republish.js';
import type { Progress } from './progress.js';
import { sinkWriter } from './sink-writer.js';

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
   * The encoding the only sink takes (a ClickHouse server: RowBinary; the Parquet lake: its column buffers):
   * records are then validated and encoded as they are parsed (pipelines/early-encoding.ts). Absent: batches of
   * records, validated per batch.
   */
  readonly earlyEncoding?: EarlyEncoding;
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

/** Splits validation dead letters out of a batch (they go to the deadLetter table as their own unit). */
function validated(batch: RecordBatch): { main: RecordBatch; rejected: RecordBatch | null } {
  if (batch.kind === 'deadLetter' || batch.encoded !== undefined) return { main: batch, rejected: null }; // encoded: validated before
  const { kept, rejected } = splitRejected(validateRecords(batch.records));
  if (rejected.length === 0) return { main: batch, rejected: null };
  return {
    main: { ...batch, records: kept },
    rejected: { kind: 'deadLetter', unitId: `${batch.unitId}#invalid`, records: rejected },
  };
}

/** Runs the backfill; resolves to the report (never rejects for per-file problems; rejects when the sinks' preparation fails). */
export async function runBackfill(run: BackfillRun): Promise<BackfillReport> {
  const report = new ReportBuilder(Date.now(), run.plan.listed);
  for (const missing of run.plan.missing) report.addMissing(missing);
  const writer = sinkWriter(run.sinks);
  let stopUnprepared: ((error: unknown) => void) | undefined;
  // Writes wait for the sinks' preparation; if it fails they never happen (the run stops instead, below).
  const prepared = (run.ready ?? Promise.resolve()).catch((error: unknown) => {
    stopUnprepared?.(error);
    return new Promise<never>(() => undefined);
  });
  const fileOf = new WeakMap<RecordBatch, string>(); // a batch's file key, for its rejected rows
  // Not an async function: its frame would hold the batch until the acks; the sinks may drop the records sooner.
  const pace = (batch: RecordBatch): Promise<void> => prepared.then(() => (run.validate ? validated(batch) : { main: batch, rejected: null }))
    .then(({ main, rejected }) => {
      if (rejected !== null) report.addRejected(rejected.records.length, fileOf.get(batch) ?? '');
      return Promise.all([writer.write(main), ...(rejected === null ? [] : [writer.write(rejected)])]);
    })
    .then(() => undefined);
  const events = fromBinanceArchive({
    files: run.plan.files, source: run.source, concurrency: run.concurrency, verify: run.verify, manifest: run.manifest,
    spoolDir: run.spoolDir, quarantineDir: run.quarantineDir, batchRows: run.batchRows, pace, batchesInFlight: BATCHES_IN_FLIGHT,
    staged: run.staged === true, maxLineBytes: run.maxLineBytes, maxDeadLetters: run.maxDeadLetters,
    ...(run.earlyEncoding === undefined ? {} : { encoder: earlyEncoders(run.earlyEncoding, run.validate, (rows, key) => report.addRejected(rows, key)) }),
  });
  const onEvent = async (event: ArchiveEvent): Promise<void> => {
    if (event.type === 'fetched') run.progress?.bytes(event.bytes);
    else if (event.type === 'batch') { fileOf.set(event.batch, event.file.key); if (event.batch.kind !== 'deadLetter') run.progress?.rows(rowsOf(event.batch)); }
    else { run.progress?.file(); report.addOutcome(event.outcome); await record(run, report, event.outcome); }
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const pendingWrites: Promise<void>[] = [];
      const subscription = events.subscribe({
        next: (event) => { pendingWrites.push(onEvent(event)); },
        error: reject,
        complete: () => { Promise.all(pendingWrites).then(() => resolve(), reject); },
      });
      run.signal?.addEventListener('abort', () => { subscription.unsubscribe(); resolve(); }, { once: true });
      stopUnprepared = (error) => { subscription.unsubscribe(); reject(error); };
    });
    if (run.signal?.aborted !== true) {
      await run.ready; // its failure is the run's, also when every file was skipped before it settled
      await writer.finish(); // the sinks' own ends (a lake writer's heartbeat removed) before the report: the process may exit next
    }
  } finally {
    writer.close();
    run.progress?.stop();
  }
  return report.finish(Date.now());
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
