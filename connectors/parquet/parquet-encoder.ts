/**
 * A Parquet encoder for the lake sink: records are mapped onto column buffers on the calling thread
 * (map-column-buffers.ts: one pass over the objects, which only that thread can read), and the expensive part
 * — Arrow IPC plus parquet-wasm's encoding and compression, about two thirds of the CPU — runs either in a
 * worker thread (`inWorker: true`; the buffers are transferred, not copied) or in place. The bytes are the
 * same either way (encode-parquet.ts).
 *
 * One encode worker serves every encoder of the process; it starts with the first encoder (loading Arrow and
 * parquet-wasm while the caller does other work) and ends {@link IDLE_WORKER_MS} after the last encoder closed,
 * so back-to-back sinks (a loop of small writes) share it. It keeps the process alive only while an encode is
 * pending. Jobs queue in the worker in call order; callers bound the queue by bounding calls in flight (the
 * lake sink: four batches).
 */
import type { Worker } from 'node:worker_threads';
import { SinkWriteError } from '../../schemas/errors.js';
import type { ParquetColumn } from '../../schemas/parquet-schema.js';
import type { EncodeParquetOptions } from './encode-parquet.js';
import { startModuleWorker } from '../plumbing/worker-thread.js';
import { mapColumnBuffers, transferablesOf, type ColumnBuffers } from './map-column-buffers.js';

type Row = Readonly<Record<string, unknown>>;

/** A message to the encode worker. */
export interface EncodeJob {
  readonly id: number;
  readonly buffers: ColumnBuffers;
  readonly columns: readonly ParquetColumn[];
  readonly maxRowGroupRows: number | undefined;
}

/** The encode worker's answer to one job. */
export type EncodeReply =
  | { readonly id: number; readonly bytes: Uint8Array; readonly error?: undefined }
  | { readonly id: number; readonly error: { readonly name: string; readonly message: string } };

/** Encodes records into complete Parquet files. */
export interface ParquetEncoder {
  /**
   * The Parquet file of `rows`. Mapping errors (a value its column cannot hold: non-retriable `SinkWriteError`)
   * throw synchronously, before anything is queued.
   */
  encode(rows: readonly Row[], columns: readonly ParquetColumn[], options?: EncodeParquetOptions): Promise<Uint8Array>;
  /** The Parquet file of rows already mapped onto column buffers in the `columns` layout (moved to the worker: do not reuse them). */
  encodeColumns(buffers: ColumnBuffers, columns: readonly ParquetColumn[], options?: EncodeParquetOptions): Promise<Uint8Array>;
  /** Releases the encoder; its pending encodes reject. Safe to call twice. */
  close(): void;
}

/** How long the shared worker outlives its last encoder (unref'd: it never holds the process open). */
export const IDLE_WORKER_MS = 2000;

const WORKER_MODULE = new URL(`./encode-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/** Starts the encode worker (unref'd; see worker-thread.ts for how it runs under tsx). */
function startEncodeWorker(): Worker {
  return startModuleWorker(WORKER_MODULE);
}

interface Job { readonly resolve: (bytes: Uint8Array) => void; readonly reject: (error: unknown) => void }

function workerFailure(message: string, cause?: unknown): SinkWriteError {
  return new SinkWriteError(`Parquet encode worker: ${message}`, { service: 'parquet' }, { retriable: false, ...(cause === undefined ? {} : { cause }) });
}

/** The process's encode worker: its pending jobs, its users, and the timer that ends it when idle. */
class SharedWorker {
  readonly pending = new Map<number, Job>();
  users = 0;
  failure: SinkWriteError | null = null;
  private idleTimer: NodeJS.Timeout | undefined;
  private nextId = 0;
  private readonly worker: Worker = startEncodeWorker();

  constructor(private readonly onEnd: () => void) {
    this.worker.on('message', (reply: EncodeReply) => {
      const job = this.pending.get(reply.id);
      if (job === undefined) return; // its encoder was closed
      this.settled(reply.id);
      if (reply.error === undefined) job.resolve(reply.bytes);
      else job.reject(workerFailure(`${reply.error.name}: ${reply.error.message}`));
    });
    this.worker.on('error', (error) => this.fail(workerFailure(error.message, error)));
    this.worker.on('exit', (code) => this.fail(workerFailure(`exited (code ${code})`)));
  }

  /** Queues a job; returns its id. */
  post(buffers: ColumnBuffers, columns: readonly ParquetColumn[], maxRowGroupRows: number | undefined, job: Job): number {
    const id = this.nextId++;
    if (this.failure !== null) { job.reject(this.failure); return id; }
    this.pending.set(id, job);
    if (this.pending.size === 1) this.worker.ref(); // an encode in flight keeps the process alive, an idle worker does not
    try {
      this.worker.postMessage({ id, buffers, columns, maxRowGroupRows } satisfies EncodeJob, transferablesOf(buffers));
    } catch (error) {
      this.settled(id);
      job.reject(workerFailure('cannot post a job', error));
    }
    return id;
  }

  /** Forgets a job (answered, or its encoder closed). */
  settled(id: number): void {
    if (this.pending.delete(id) && this.pending.size === 0) this.worker.unref();
  }

  acquire(): void {
    this.users++;
    clearTimeout(this.idleTimer);
  }

  release(): void {
    if (--this.users > 0) return;
    this.idleTimer = setTimeout(() => { if (this.users === 0) this.end(); }, IDLE_WORKER_MS);
    this.idleTimer.unref();
  }

  private fail(error: SinkWriteError): void {
    this.failure ??= error;
    for (const job of this.pending.values()) job.reject(error);
    this.pending.clear();
    this.end();
  }

  private end(): void {
    clearTimeout(this.idleTimer);
    this.onEnd();
    this.worker.unref();
    void this.worker.terminate();
  }
}

let shared: SharedWorker | null = null;

function workerEncoder(): ParquetEncoder {
  if (shared === null || shared.failure !== null) {
    const worker: SharedWorker = new SharedWorker(() => { if (shared === worker) shared = null; });
    shared = worker;
  }
  const worker = shared;
  worker.acquire();
  const mine = new Map<number, Job>();
  let closed = false;
  return {
    encode(rows, columns, options = {}) {
      if (closed) return Promise.reject(workerFailure('encoder closed'));
      return this.encodeColumns(mapColumnBuffers(rows, columns), columns, options);
    },
    encodeColumns(buffers, columns, options = {}) {
      if (closed) return Promise.reject(workerFailure('encoder closed'));
      return new Promise<Uint8Array>((resolve, reject) => {
        const id = worker.post(buffers, columns, options.maxRowGroupRows, {
          resolve: (bytes) => { mine.delete(id); resolve(bytes); },
          reject: (error) => { mine.delete(id); reject(error); },
        });
        const job = worker.pending.get(id);
        if (job !== undefined) mine.set(id, job);
      });
    },
    close() {
      if (closed) return;
      closed = true;
      for (const [id, job] of mine) { worker.settled(id); job.reject(workerFailure('encoder closed')); }
      worker.release();
    },
  };
}

function inPlaceEncoder(): ParquetEncoder {
  const module = import('./encode-parquet.js');
  module.catch(() => undefined); // a failed import rejects the first encode instead of going unhandled
  return {
    encode(rows, columns, options = {}) {
      return this.encodeColumns(mapColumnBuffers(rows, columns), columns, options);
    },
    encodeColumns(buffers, columns, options = {}) {
      return module.then((m) => m.encodeParquetColumns(buffers, columns, options));
    },
    close() {},
  };
}

/** Starts an encoder: on the shared worker thread (see the module doc) or, with `inWorker: false`, on this thread. */
export function startParquetEncoder(options: { readonly inWorker: boolean }): ParquetEncoder {
  return options.inWorker ? workerEncoder() : inPlaceEncoder();
}
