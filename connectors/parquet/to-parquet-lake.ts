/**
 * The Parquet lake sink: `RecordBatch` → `WriteAck`. Each batch is split into Hive cells
 * (exchange, market, type, symbol, UTC date of eventTimeUs); each cell becomes one complete Parquet file named
 * from the batch's unit id, so a replayed batch replaces its files instead of duplicating rows.
 *
 * Encoding runs in a worker thread (parquet-encoder.ts; `encodeInWorker: false` keeps it on this thread): the
 * records are mapped onto column buffers here, the buffers move to the worker, the bytes come back and are
 * written from here. Up to four batches are in flight: a batch is mapped as soon as it arrives (its records can
 * be collected young, and the source keeps parsing) while the worker encodes earlier ones; files of different
 * batches may be written concurrently, acknowledgements are emitted in batch order.
 * Memory: four batches' column buffers plus their encoded files (and the batches waiting behind them).
 * Retriable write errors are retried with connectors/plumbing/backoff.ts; the stream errors with the last error after
 * that. Unsubscribing aborts an in-flight S3 upload and ends the worker; a local write already renamed stays
 * complete.
 *
 * A batch may come mapped already (parquet-column-rows.ts: early encoding, lake-columns.ts):
 * its cells' buffers go to the worker as they are. A staged batch (connectors/sink.ts `Stage`, lake-store.ts)
 * writes its files under hidden staged names of this writer; its unit's `commit` batch takes the unit's lease
 * (lake-lease.ts: another writer of the same unit commits before or after, never at the same time), publishes
 * every file the unit staged and then removes, from those directories, the unit's other parts (named for
 * `<stage id>#…`: an earlier run cut differently, or another writer's commit of the same unit) and what dead
 * writers left there (sweep-lake-dir.ts); `abort` discards the staged files, and unsubscribing mid-unit
 * discards them too. An unstaged batch sweeps dead writers' leftovers from each directory on its first write
 * there. Each subscription is one writer with a heartbeat in the lake (lake-writer.ts), removed before the
 * stream completes (on unsubscribing, in the background). `onWritten` hears of each directory a visible file
 * went into (what `serve` compacts: lake-compactor.ts).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { defer, type OperatorFunction } from 'rxjs';
import { retry, type BackoffOptions } from '../plumbing/backoff.js';
import { batchingSink } from '../batching-sink.js';
import { recordsOf, rowsOf, type RecordBatch, type WriteAck } from '../sink.js';
import { parquetColumnsOf } from '../../schemas/parquet-schema.js';
import { KINDS, type AnyRecord } from '../../schemas/records.js';
import { createS3Client, type S3Config } from '../s3/config.js';
import { acquireUnitLease } from './lake-lease.js';
import type { LakeStore, StagedFile } from './lake-store.js';
import { lakeStoreFor } from './lake-store-for.js';
import { cachedPartitionPathOf, partNameOf } from './lake-path.js';
import { startLakeWriter, type LakeLeaseOptions, type LakeWriter } from './lake-writer.js';
import { isParquetColumnRows } from './parquet-column-rows.js';
import { startParquetEncoder, type ParquetEncoder } from './parquet-encoder.js';
import { sweepLakeDir } from './sweep-lake-dir.js';

/**
 * Batches mapped, encoded or written at once. 4 (not 2) maps a backfill's batches on arrival: ~0.1 s less main
 * thread CPU per 2M trades (fewer records survive a scavenge), +10 MB RSS.
 */
const BATCHES_IN_FLIGHT = 4;

/** Options of {@link toParquetLake}. */
export interface ParquetLakeOptions {
  /** A local directory or `s3://bucket/prefix`. */
  readonly root: string;
  /** S3 settings when `root` is on S3 (a client is created per subscription and destroyed on teardown). */
  readonly s3?: S3Config;
  /** An existing S3 client to use instead of `s3` (not destroyed by the sink). */
  readonly s3Client?: S3Client;
  /** Rows per Parquet row group. @default 131072 */
  readonly maxRowGroupRows?: number;
  /** Retry policy for failed writes. @default backoff.ts defaults */
  readonly retry?: BackoffOptions;
  /** Encode in a worker thread (one per subscription); false encodes on the calling thread. @default true */
  readonly encodeInWorker?: boolean;
  /** Writer heartbeat and unit lease timing (lake-writer.ts). */
  readonly lease?: LakeLeaseOptions;
  /** Called with the directory (relative to the root) of each file once it is visible (written, or published). */
  readonly onWritten?: (dir: string) => void;
}

/** What every batch of one subscription writes with. */
interface Writing {
  readonly store: LakeStore;
  readonly writer: LakeWriter;
  readonly encoder: ParquetEncoder;
  readonly stages: OpenStages;
  readonly options: ParquetLakeOptions;
  readonly signal: AbortSignal;
  /** Directories an unstaged write has swept already. */
  readonly swept: Set<string>;
}

/** Groups a batch's records by partition directory, keeping input order within a cell. */
export function cellsOf(records: readonly AnyRecord[]): Map<string, AnyRecord[]> {
  const cells = new Map<string, AnyRecord[]>();
  const partitionPathOf = cachedPartitionPathOf();
  for (const record of records) {
    const path = partitionPathOf(record);
    const cell = cells.get(path);
    if (cell === undefined) cells.set(path, [record]);
    else cell.push(record);
  }
  return cells;
}

/** The files of the staged units a sink is writing (connectors/sink.ts `Stage`), by stage id. */
class OpenStages {
  private readonly stages = new Map<string, Promise<StagedFile[]>[]>();

  /** Adds a batch's staged files (as they will be once written) to its unit. */
  add(stage: string, files: Promise<StagedFile[]>): void {
    files.catch(() => undefined); // observed by the unit's end
    const list = this.stages.get(stage);
    if (list === undefined) this.stages.set(stage, [files]); else list.push(files);
  }

  /** Ends a unit: every file it staged, once written (a failed write fails a commit). */
  async end(stage: string, end: 'commit' | 'abort'): Promise<StagedFile[]> {
    const writes = this.stages.get(stage) ?? [];
    this.stages.delete(stage);
    if (end === 'commit') return (await Promise.all(writes)).flat();
    return (await Promise.allSettled(writes)).flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
  }

  /** Every unit still open (unsubscribed mid-unit): its written files, discarded. */
  async discardAll(store: LakeStore): Promise<void> {
    const stages = [...this.stages.keys()];
    for (const stage of stages) for (const file of await this.end(stage, 'abort')) await store.discard(file).catch(() => undefined);
  }
}

/**
 * The cells of a batch, each with its file's bytes to come: mapped now (a value its column cannot hold throws
 * here, before anything is written), or already mapped (early encoding: connectors/sink.ts `ParquetColumnRows`,
 * lake-columns.ts).
 */
function encodeCells(encoder: ParquetEncoder, batch: RecordBatch, options: ParquetLakeOptions): { cell: string; bytes: Promise<Uint8Array> }[] {
  const columns = parquetColumnsOf(KINDS[batch.kind]);
  const encodeOptions = options.maxRowGroupRows === undefined ? {} : { maxRowGroupRows: options.maxRowGroupRows };
  const encoded: { cell: string; bytes: Promise<Uint8Array> }[] = [];
  const push = (cell: string, bytes: Promise<Uint8Array>): void => {
    bytes.catch(() => undefined); // awaited by the write; if a later cell throws, this one must not reject unhandled
    encoded.push({ cell, bytes });
  };
  if (batch.encoded !== undefined && isParquetColumnRows(batch.encoded)) {
    for (const { path, buffers } of batch.encoded.cells) push(path, encoder.encodeColumns(buffers, columns, encodeOptions));
  } else {
    for (const [cell, records] of cellsOf(recordsOf(batch, 'parquet', true))) { // staged: checked by writeBatch
      push(cell, encoder.encode(records as unknown as Record<string, unknown>[], columns, encodeOptions));
    }
  }
  return encoded;
}

/**
 * Writes one batch: its cells' files in cell order as their bytes come back (visible at once, or staged with
 * the batch's unit); a unit's end publishes or discards every file the unit staged.
 */
function writeBatch(w: Writing, batch: RecordBatch): Promise<WriteAck> {
  const { store, writer, options, signal } = w;
  const ack: WriteAck = { sink: 'parquet', unitId: batch.unitId, kind: batch.kind, rows: rowsOf(batch), target: '' };
  const { stage } = batch;
  if (stage?.end !== undefined) return endStage(w, ack, stage.id, stage.end);
  const encoded = encodeCells(w.encoder, batch, options);
  const part = partNameOf(batch.unitId);
  // Neither holds a record: they can be collected while the worker encodes.
  if (stage === undefined) {
    const write = async (path: string, data: Uint8Array): Promise<string> => {
      await writer.ready();
      const dir = path.slice(0, path.lastIndexOf('/'));
      if (!w.swept.has(dir)) {
        w.swept.add(dir);
        await sweepLakeDir(writer, dir).catch(() => undefined); // best effort: leftovers are hidden from readers anyway
      }
      const written = await store.write(path, data, writer.id, signal);
      options.onWritten?.(dir);
      return written;
    };
    return writeCells(encoded, part, write, options, signal).then((files) => ({ ...ack, target: targetOf(store, files) }));
  }
  const staged = writeCells(encoded, part, async (path, data) => { await writer.ready(); return store.stage(path, data, writer.id, signal); }, options, signal);
  w.stages.add(stage.id, staged);
  return staged.then((files) => ({ ...ack, target: targetOf(store, files.map((f) => f.staged)) }));
}

function targetOf(store: LakeStore, files: readonly string[]): string {
  return files.length === 1 ? files[0] : `${store.root} (${files.length} files)`;
}

/** Writes each cell's file as its bytes come back, in cell order, with `write` (retried); returns what each write returned. */
async function writeCells<T>(
  encoded: readonly { cell: string; bytes: Promise<Uint8Array> }[], part: string, write: (path: string, data: Uint8Array) => Promise<T>,
  options: ParquetLakeOptions, signal: AbortSignal,
): Promise<T[]> {
  const written: T[] = [];
  for (const { cell, bytes } of encoded) {
    const data = await bytes;
    written.push(await retry(() => write(`${cell}/${part}`, data), { ...options.retry, signal }));
  }
  return written;
}

async function endStage(w: Writing, ack: WriteAck, stage: string, end: 'commit' | 'abort'): Promise<WriteAck> {
  const { store } = w;
  const files = await w.stages.end(stage, end);
  if (end === 'abort') {
    for (const file of files) await store.discard(file).catch(() => undefined); // best effort: a staged file is invisible anyway
    return { ...ack, target: `${store.root} (${files.length} files discarded)` };
  }
  let swept: number;
  try {
    swept = await commit(w, stage, files);
  } catch (error) {
    for (const file of files) await store.discard(file).catch(() => undefined);
    throw error;
  }
  return { ...ack, target: `${store.root} (${files.length} files published${swept === 0 ? '' : `, ${swept} left by an earlier run of the unit or a dead writer removed`})` };
}

/**
 * Publishes a unit's staged files and sweeps their directories, under the unit's lease: a second writer of the
 * unit waits, then replaces these parts with its own. Returns how many files the sweep removed.
 */
async function commit(w: Writing, stage: string, files: readonly StagedFile[]): Promise<number> {
  if (files.length === 0) return 0;
  const { store, writer, options, signal } = w;
  const lease = await acquireUnitLease(writer, stage, signal);
  try {
    await lease.check();
    for (const file of files) {
      await retry(() => store.publish(file), { ...options.retry, signal });
      options.onWritten?.(file.relativePath.slice(0, file.relativePath.lastIndexOf('/')));
    }
    const kept = new Map<string, Set<string>>();
    for (const { relativePath } of files) {
      const cut = relativePath.lastIndexOf('/');
      const dir = relativePath.slice(0, cut);
      kept.set(dir, (kept.get(dir) ?? new Set()).add(relativePath.slice(cut + 1)));
    }
    let swept = 0;
    for (const [dir, keep] of kept) {
      await lease.check();
      swept += await retry(() => sweepLakeDir(writer, dir, { unitPrefix: stage, keep }), { ...options.retry, signal });
    }
    return swept;
  } finally {
    await lease.release().catch(() => undefined); // a lease left behind is taken over once this writer is gone
  }
}

/** Writes each batch into the lake and emits one acknowledgement per batch, in order. */
export function toParquetLake(options: ParquetLakeOptions): OperatorFunction<RecordBatch, WriteAck> {
  return (batches) => defer(() => {
    const ownsClient = options.s3Client === undefined && options.s3 !== undefined;
    const client = options.s3Client ?? (options.s3 === undefined ? undefined : createS3Client(options.s3));
    const store = lakeStoreFor(options.root, client);
    const abort = new AbortController();
    return batchingSink<RecordBatch>(() => {
      const encoder = startParquetEncoder({ inWorker: options.encodeInWorker !== false });
      const writer = startLakeWriter(store, options.lease);
      const w: Writing = { store, writer, encoder, stages: new OpenStages(), options, signal: abort.signal, swept: new Set() };
      return {
        concurrency: BATCHES_IN_FLIGHT,
        prepare: (batch) => batch,
        send: async (group, acked) => { for (const batch of group) acked(await writeBatch(w, batch)); },
        // The heartbeat goes before completion: a process may exit as soon as its sinks completed.
        finish: () => writer.close().catch(() => undefined),
        close: () => {
          abort.abort(new Error('toParquetLake unsubscribed'));
          encoder.close();
          // Best effort: staged files are invisible to readers either way, and swept once this writer is gone.
          void w.stages.discardAll(store).catch(() => undefined).then(() => writer.close()).catch(() => undefined).finally(() => {
            if (ownsClient) client?.destroy();
          });
        },
      };
    })(batches);
  });
}
