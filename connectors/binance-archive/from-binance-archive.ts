/**
 * `fromBinanceArchive(options)`: a cold Observable of the planned archive files, `concurrency` of them fetched
 * and verified at once. A file with bytes to write comes as an {@link ArchiveFileLoad}: its record batches are
 * parsed as the caller pulls them (within a byte budget: big files one at a time, small ones several at once),
 * and the caller, having written them, asks it for its outcome. The others come as an outcome alone: `skipped`
 * (the manifest has these exact bytes), `missing` (404 upstream; a missing monthly file falls back to its
 * dailies, which follow) or `failed` (checksum mismatch after retries → quarantined, 5xx/timeouts after retries).
 * A failed file never stops the others. This connector knows nothing of sinks or pacing: pulling is the
 * backpressure, and what "loaded" means (acknowledged by every sink) is the caller's to decide.
 * With an `encoder` (early encoding for a single sink), a file is parsed a few thousand records at a time into
 * it and its batches carry encoded rows. With `staged`, each file is one staged unit: its batches are parsed
 * without a separate zip check, and the caller commits the unit once the parse's own inflate verified the CRC-32
 * and size at the end of the member, so the file is inflated once and a damaged one leaves nothing visible.
 * Unsubscribing aborts downloads and removes spool files.
 */
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Observable, defer, from, mergeMap } from 'rxjs';
import type { EncodedRows, RecordBatch, Stage } from '../sink.js';
import { retry, type BackoffOptions } from '../plumbing/backoff.js';
import { EngineError, NotFoundUpstreamError, RetriesExhaustedError, ChecksumMismatchError } from '../../schemas/errors.js';
import type { AnyRecord, KindName } from '../../schemas/records.js';
import { makeVersion } from '../../schemas/version.js';
import type { PlannedFile } from './availability.js';
import { checksumKey, parseChecksumText } from './checksum.js';
import { fetchArchiveObject, releaseFetched, type FetchedObject } from './fetch.js';
import { isLoaded, type Manifest } from './manifest.js';
import {
  DEFAULT_MAX_DEAD_LETTERS, DEFAULT_MAX_LINE_BYTES, PARSE_CHUNK_ROWS, checkArchiveZip, fileConstants, parseArchiveFile, tooManyRejected,
  type ParseStats,
} from './parse-archive-file.js';
import { DEFAULT_PARSE_BUDGET_BYTES, ParseSlots } from './parse-slots.js';
import type { ArchiveFile } from './plan.js';
import type { ArchiveSource } from './source.js';

/** What became of one file. */
export interface FileOutcome {
  readonly file: ArchiveFile;
  readonly status: 'loaded' | 'skipped' | 'missing' | 'failed';
  /** Why (missing, failed, skipped), null when loaded. */
  readonly reason: string | null;
  /** Error class of a failure. */
  readonly errorName: string | null;
  readonly bytes: number;
  readonly sha256: string | null;
  readonly lastModifiedMs: number | null;
  readonly parts: number;
  readonly stats: ParseStats | null;
  /** The bytes were moved to the quarantine directory. */
  readonly quarantined: boolean;
}

/**
 * One fetched (and verified) file, for the caller to write: its batches are parsed as the caller pulls them, so
 * pulling is the backpressure. Once done with the file (its batches pulled to the end or abandoned, its writes
 * settled), the caller asks for its `outcome`: the file's parse slot, its spool file and its place among the
 * `concurrency` files are held until then.
 */
export interface ArchiveFileLoad {
  readonly type: 'load';
  readonly file: ArchiveFile;
  /** Bytes fetched. */
  readonly bytes: number;
  /**
   * The staged unit every batch of the file belongs to (with `staged`): the caller commits it once every batch
   * was acknowledged, or aborts it (connectors/sink.ts `stageEndBatch`). Undefined when not staged.
   */
  readonly stage: Stage | undefined;
  /**
   * The file's batches, unit ids `<key>@<sha256 prefix>#<part>` (the same bytes give the same units). Throws the
   * file's failure (a damaged zip, too many rejected rows, a line too long): unstaged, before any batch of a
   * damaged file; staged, possibly after some, which the caller's abort drops.
   */
  readonly batches: AsyncIterable<RecordBatch>;
  /**
   * The file's outcome once `batches` ended: `loaded` with its parse statistics, or `failed` when `error` is
   * given (the parse's, or the caller's own: a write that failed).
   */
  outcome(error?: unknown): FileOutcome;
}

/** Events of {@link fromBinanceArchive}: a file to write, or the outcome of one that has nothing to write. */
export type ArchiveEvent = ArchiveFileLoad | { readonly type: 'file'; readonly outcome: FileOutcome };

/**
 * Records parsed at a time for an {@link EarlyEncoder}: they are encoded while still in the young generation
 * (parse-archive-file.ts {@link PARSE_CHUNK_ROWS}; 2 M trades into ClickHouse measured 0.80–0.81 of the server's
 * CSV ingest with 2,048, 0.77 with 4,096: within run-to-run noise, no worse).
 */
export const ENCODE_CHUNK_ROWS = PARSE_CHUNK_ROWS;

/**
 * Early encoding of one file's records for the one sink that writes them (connectors/sink.ts `EncodedRows`):
 * the file is parsed {@link ENCODE_CHUNK_ROWS} records at a time, each run goes to `add` at once, and the
 * file's batches carry only the encoded rows (of `batchRows` parsed records each, as the record path cuts them),
 * its dead letters apart.
 */
export interface EarlyEncoder<E extends EncodedRows = EncodedRows> {
  /** Takes a run of parsed records, in order; returns the ones it rejected, as dead letters. */
  add(records: readonly AnyRecord[]): readonly AnyRecord[];
  /** Rows taken since the last {@link EarlyEncoder.take}. */
  readonly rows: number;
  /** The rows taken since the last take, encoded. */
  take(): E;
}

/**
 * Default encoded bytes of one file parsed while its zip check runs, held until the check passed (see
 * `parseInto`): the check (one inflate of the CSV member) takes about a quarter of the parse, which meanwhile
 * encodes ~150 bytes per trade. Dead letters count {@link DEAD_LETTER_BYTES} each.
 */
export const DEFAULT_HOLD_BYTES = 64 * 1024 * 1024;
const DEAD_LETTER_BYTES = 1024;

/** Options of {@link fromBinanceArchive}. */
export interface FromBinanceArchiveOptions {
  readonly files: readonly PlannedFile[];
  readonly source: ArchiveSource;
  /** Files fetched and verified at once (downloads overlap; see `parseConcurrency`). @default 8 */
  readonly concurrency?: number;
  /**
   * Files parsed and written at once, at most; and `parseBudgetBytes`, the zip bytes being parsed at once
   * (one file is always admitted). Parsing runs on the calling thread, so parsing big files together only
   * interleaves them while multiplying the batches held — 8 daily trades files of 2 M rows each at once took
   * 2.2× the peak RSS of one at a time, and longer (787 vs 363 MB, 34.5 vs 26.4 s) — while small files gain
   * from overlapping their per-file waits (580 1m-kline files: 7.9 s at 8 vs 12.7 s at 1). Fetched files wait
   * for their turn. @default 8 files, 32 MiB
   */
  readonly parseConcurrency?: number;
  readonly parseBudgetBytes?: number;
  /** Verify SHA-256 against `.CHECKSUM`. @default true */
  readonly verify?: boolean;
  /** Skips files recorded as loaded with the same checksum. */
  readonly manifest?: Manifest;
  /** Spool directory for remote objects. @default os.tmpdir()/lakehouse-spool */
  readonly spoolDir?: string;
  /** Where mismatching bytes are kept. @default os.tmpdir()/lakehouse-quarantine */
  readonly quarantineDir?: string;
  /** Records per batch. @default 20000 */
  readonly batchRows?: number;
  readonly retry?: BackoffOptions;
  /**
   * An early encoder for each file of a kind (`key`: the file's), or null for none. `constants`, given for a staged file only: the string fields every record of the file has
   * (parse-archive-file.ts `fileConstants`), which the encoder may leave out of the rows (`EncodedRows.constants`).
   */
  readonly encoder?: (kind: KindName, constants: Readonly<Record<string, string>> | null, key: string) => EarlyEncoder | null;
  /** With an encoder: bytes of a file parsed and held while its zip check runs. @default {@link DEFAULT_HOLD_BYTES} */
  readonly holdBytes?: number;
  /**
   * Every sink stages (connectors/sink.ts `Stage`; ClickHouse does): each file is one staged unit, written as
   * it is parsed and committed after the parse verified the zip member's CRC-32 and size (aborted on any
   * failure), instead of being inflated once more by a zip check before its first batch. @default false
   */
  readonly staged?: boolean;
  /** A longer line fails its file, before any of it is written. @default parse-archive-file.ts `DEFAULT_MAX_LINE_BYTES` */
  readonly maxLineBytes?: number;
  /**
   * More rejected rows (parse and encoder rejects) than this fail the file as corrupt: staged, none of it is
   * published; else batches written before the limit was reached stay. @default parse-archive-file.ts `DEFAULT_MAX_DEAD_LETTERS`
   */
  readonly maxDeadLetters?: number;
}

type Emit = (event: ArchiveEvent) => void;

const describe = (error: unknown): { reason: string; errorName: string } => {
  const inner = error instanceof RetriesExhaustedError && error.cause instanceof Error ? error.cause : error;
  const name = inner instanceof Error ? inner.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return { reason: message, errorName: error instanceof RetriesExhaustedError ? `${name} (after ${error.attempts} attempts)` : name };
};

function outcome(file: ArchiveFile, status: FileOutcome['status'], extra: Partial<FileOutcome> = {}): FileOutcome {
  return {
    file, status, reason: null, errorName: null, bytes: 0, sha256: null, lastModifiedMs: null, parts: 0, stats: null,
    quarantined: false, ...extra,
  };
}

/** Loads the planned files; see the module doc. */
export function fromBinanceArchive(options: FromBinanceArchiveOptions): Observable<ArchiveEvent> {
  return defer(() => {
    const parsing = new ParseSlots(options.parseBudgetBytes ?? DEFAULT_PARSE_BUDGET_BYTES, Math.max(1, options.parseConcurrency ?? 8));
    return from(options.files).pipe(
      mergeMap((file) => fileEvents(file, options, parsing), Math.max(1, options.concurrency ?? 8)),
    );
  });
}

/** One planned file's events; completes once its batches (and its fallback dailies') were pulled to the end. */
function fileEvents(file: PlannedFile, options: FromBinanceArchiveOptions, parsing: ParseSlots): Observable<ArchiveEvent> {
  return new Observable<ArchiveEvent>((subscriber) => {
    const controller = new AbortController();
    const emit: Emit = (event) => { if (!controller.signal.aborted) subscriber.next(event); };
    loadFile(file, options, emit, controller.signal, parsing).then(
      () => subscriber.complete(),
      (error: unknown) => { if (!controller.signal.aborted) subscriber.error(error); },
    );
    return () => controller.abort();
  });
}

async function loadFile(file: PlannedFile, options: FromBinanceArchiveOptions, emit: Emit, signal: AbortSignal, parsing: ParseSlots): Promise<void> {
  let expected: string | null = null;
  try {
    if (options.verify !== false) {
      const text = await retry(() => options.source.readText(checksumKey(file.key), signal), { maxAttempts: 3, ...options.retry, signal, context: { file: file.key } });
      expected = parseChecksumText(text, checksumKey(file.key));
    }
  } catch (error) {
    if (signal.aborted) throw error;
    return fileFailed(file, error, options, emit, signal, parsing);
  }
  if (isLoaded(options.manifest, file.key, expected)) {
    emit({ type: 'file', outcome: outcome(file, 'skipped', { reason: 'already loaded with the same checksum (manifest)', sha256: expected }) });
    return;
  }
  const zipCheck = options.staged === true ? null : earlyZipCheck(file, options);
  let fetched: FetchedObject;
  try {
    fetched = await fetchArchiveObject(options.source, file.key, {
      expectedSha256: expected, spoolDir: options.spoolDir ?? join(tmpdir(), 'lakehouse-spool'),
      quarantineDir: options.quarantineDir ?? join(tmpdir(), 'lakehouse-quarantine'), retry: options.retry, signal,
    });
  } catch (error) {
    if (signal.aborted) throw error;
    return fileFailed(file, error, options, emit, signal, parsing);
  }
  if (signal.aborted) { // stopped as the download ended: nobody will take the file
    await releaseFetched(fetched);
    throw signal.reason;
  }
  const lastModifiedMs = fetched.lastModifiedMs ?? file.lastModifiedMs;
  const unitBase = `${file.key}@${fetched.sha256.slice(0, 16)}`;
  // Staged: the file's rows stay invisible until the commit that follows the parse's own CRC and size check.
  const stage: Stage | undefined = options.staged === true ? { id: unitBase } : undefined;
  // The file's parse slot and spool file are held until the caller is done with it (asks for its outcome) or the run stops.
  let release: (() => void) | undefined;
  let finished = false;
  let consumed!: () => void;
  let releaseFailed!: (error: unknown) => void;
  const done = new Promise<void>((resolve, reject) => { consumed = resolve; releaseFailed = reject; });
  const finish = (): void => {
    if (finished) return;
    finished = true;
    release?.();
    // A spool file that cannot be removed fails the run, as any error of the file's load would.
    releaseFetched(fetched).then(consumed, releaseFailed);
  };
  signal.addEventListener('abort', finish, { once: true });
  let parsed: ParsedFile | null = null;
  let pulled = false;
  async function* batches(): AsyncGenerator<RecordBatch, void, undefined> {
    if (pulled) throw new Error(`the batches of ${file.key} are pulled once`);
    pulled = true;
    const granted = await parsing.take(fetched.size, signal);
    if (finished) { granted(); return; }
    release = granted;
    const parse = parsedBatches(file, fetched, { unitBase, lastModifiedMs, stage, zipCheck }, options);
    try {
      for (;;) {
        const next = await parse.next();
        if (next.done === true) { parsed = next.value; return; }
        yield next.value;
      }
    } finally {
      await parse.return(undefined as never); // abandoned by the caller (a failed write): the zip closes now
    }
  }
  const base = { bytes: fetched.size, sha256: fetched.sha256 };
  emit({
    type: 'load', file, bytes: fetched.size, stage, batches: { [Symbol.asyncIterator]: batches },
    outcome: (error) => {
      finish();
      const whole = parsed;
      if (error !== undefined) return outcome(file, 'failed', { ...describe(error), ...base });
      if (whole === null) return outcome(file, 'failed', { reason: 'its outcome was asked for before its batches ended', errorName: 'Error', ...base });
      return outcome(file, 'loaded', { ...base, lastModifiedMs, parts: whole.parts, stats: whole.stats });
    },
  });
  await done;
}

/**
 * A local file's zip check (one inflate and CRC, on libuv's threads) started while the file is being hashed,
 * instead of after; resolves to the size it checked, or null when it failed (it is then run again, after the
 * checksum verdict, so errors keep their order). Null for remote sources (their bytes are not there yet).
 */
function earlyZipCheck(file: ArchiveFile, options: FromBinanceArchiveOptions): Promise<number | null> | null {
  let path: string | undefined;
  try {
    path = options.source.localPath?.(file.key);
  } catch {
    return null; // a key the source refuses: the fetch reports it
  }
  if (path === undefined) return null;
  return stat(path).then(async ({ size }) => { await checkArchiveZip(path, size, file, maxLineBytesOf(options)); return size; }).catch(() => null);
}

/** What {@link parsedBatches} needs to know of the fetched file besides its bytes. */
interface FileUnit {
  readonly unitBase: string;
  readonly lastModifiedMs: number | null;
  readonly stage: Stage | undefined;
  /** The early zip check, if one was started. */
  readonly zipCheck: Promise<number | null> | null;
}

/** A file parsed to its end: the parse statistics, and the data batches it was cut into (dead letters apart). */
interface ParsedFile { readonly stats: ParseStats; readonly parts: number }

/**
 * A fetched file's batches, parsed as they are pulled; returns the parse statistics and its parts. Unstaged, a damaged zip
 * fails before any of its rows is yielded: batches of records wait for the zip check; encoded ones are parsed
 * meanwhile and held (bytes, no records to collect) up to `holdBytes`, so the check's inflate runs beside the
 * parse. Staged, batches go as they are parsed: the parse's own inflate verifies the CRC and size at the end.
 */
async function* parsedBatches(file: PlannedFile, fetched: FetchedObject, unit: FileUnit, options: FromBinanceArchiveOptions): AsyncGenerator<RecordBatch, ParsedFile, undefined> {
  const { unitBase, lastModifiedMs, stage, zipCheck } = unit;
  const check = stage !== undefined ? Promise.resolve() : (async (): Promise<void> => {
    if ((await zipCheck) !== fetched.size || fetched.spooled) await checkArchiveZip(fetched.path, fetched.size, file, maxLineBytesOf(options));
  })();
  const encoder = options.encoder?.(file.kind, stage === undefined ? null : fileConstants(file), file.key) ?? null;
  let checked = stage !== undefined || encoder === null;
  if (checked) await check; else check.catch(() => undefined);
  const held: RecordBatch[] = [];
  let heldBytes = 0;
  const batchRows = options.batchRows ?? 20_000;
  const maxDeadLetters = options.maxDeadLetters ?? DEFAULT_MAX_DEAD_LETTERS;
  const chunks = parseArchiveFile(fetched.path, fetched.size, file, {
    version: makeVersion('archive', lastModifiedMs ?? 0), rejectedAtUs: Math.floor(lastModifiedMs ?? 0) * 1000,
    maxLineBytes: maxLineBytesOf(options), maxDeadLetters,
    // Encoded: short runs, cut where the record path's batches end, so both give the same parts (a lake file
    // loaded once with the lake alone and once with other sinks must not get parts of two sizes).
    ...(encoder === null ? { batchRows } : { batchRows: Math.min(batchRows, ENCODE_CHUNK_ROWS), cutEvery: batchRows }),
  });
  let parsed = 0; // with an encoder: records of the file's kind parsed since its last take, rejected ones too
  let parts = 0;
  let deadParts = 0;
  let dead: AnyRecord[] = []; // with an encoder: the file's dead letters (parse and encoder rejects), batched apart
  let rejectedRows = 0; // dead letters of the file so far, parse and encoder rejects, against maxDeadLetters
  const batchOf = (kind: KindName, records: readonly AnyRecord[], encoded?: EncodedRows): RecordBatch => ({
    kind, unitId: `${unitBase}#${kind === 'deadLetter' ? `dlq${deadParts++}` : parts++}`, records,
    ...(encoded === undefined ? {} : { encoded }), ...(stage === undefined ? {} : { stage }),
  });
  // Batches of the file in order; until the check passed, held (and the parse goes on) up to `holdBytes`.
  async function* send(batch: RecordBatch): AsyncGenerator<RecordBatch, void, undefined> {
    if (!checked) {
      held.push(batch);
      heldBytes += batch.encoded === undefined ? batch.records.length * DEAD_LETTER_BYTES : batch.encoded.bytes;
      if (heldBytes < (options.holdBytes ?? DEFAULT_HOLD_BYTES)) return;
      await check;
      checked = true;
      yield* held.splice(0);
      return;
    }
    yield batch;
  }
  const countRejected = (rows: number): void => {
    rejectedRows += rows;
    if (rejectedRows > maxDeadLetters) throw tooManyRejected(file, maxDeadLetters);
  };
  async function* keepDead(records: readonly AnyRecord[]): AsyncGenerator<RecordBatch, void, undefined> {
    for (const record of records) dead.push(record);
    if (dead.length >= batchRows) { yield* send(batchOf('deadLetter', dead)); dead = []; }
  }
  try {
    for (;;) {
      const next = await chunks.next();
      if (next.done === true) {
        if (encoder !== null && parsed > 0) yield* send(batchOf(file.kind, [], encoder.take()));
        if (dead.length > 0) yield* send(batchOf('deadLetter', dead));
        if (!checked) { await check; checked = true; yield* held.splice(0); }
        return { stats: next.value, parts };
      }
      const { kind, records } = next.value;
      if (kind === 'deadLetter') countRejected(records.length);
      if (encoder === null) { yield* send(batchOf(kind, records)); continue; }
      if (kind === 'deadLetter') { yield* keepDead(records); continue; }
      const rejected = encoder.add(records);
      if (rejected.length > 0) { countRejected(rejected.length); yield* keepDead(rejected); }
      parsed += records.length;
      if (parsed >= batchRows) { parsed = 0; yield* send(batchOf(kind, [], encoder.take())); }
    }
  } catch (error) {
    // A damaged zip is reported as the check finds it, also when the parse beside it tripped over it first.
    throw await check.then(() => error, (checkError: unknown) => checkError);
  } finally {
    await chunks.return(undefined as never).catch(() => undefined); // an abandoned parse closes its file now
  }
}

function maxLineBytesOf(options: FromBinanceArchiveOptions): number {
  return options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
}

async function fileFailed(file: PlannedFile, error: unknown, options: FromBinanceArchiveOptions, emit: Emit, signal: AbortSignal, parsing: ParseSlots): Promise<void> {
  const notFound = error instanceof NotFoundUpstreamError
    || (error instanceof RetriesExhaustedError && error.cause instanceof NotFoundUpstreamError);
  if (notFound && file.fallback.length > 0) {
    emit({ type: 'file', outcome: outcome(file, 'missing', { reason: `monthly file missing upstream; loading its ${file.fallback.length} daily files instead` }) });
    for (const daily of file.fallback) await loadFile({ ...daily, size: null, lastModifiedMs: null }, options, emit, signal, parsing);
    return;
  }
  if (notFound) {
    emit({ type: 'file', outcome: outcome(file, 'missing', { reason: `missing upstream: ${(error as Error).message}`, errorName: 'NotFoundUpstreamError' }) });
    return;
  }
  const quarantined = error instanceof RetriesExhaustedError && error.cause instanceof ChecksumMismatchError;
  const detail = describe(error);
  const reason = quarantined ? `${detail.reason}; bytes quarantined` : detail.reason;
  if (!(error instanceof EngineError) && !(error instanceof Error)) throw error;
  emit({ type: 'file', outcome: outcome(file, 'failed', { reason, errorName: detail.errorName, quarantined }) });
}
