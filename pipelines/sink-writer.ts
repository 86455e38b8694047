/**
 * Writing record batches to several sinks at once, for the pipelines that feed sinks (`backfill`, `stream`,
 * `replay`, `serve`): each batch goes to every sink, and its write resolves when all of them acknowledged it;
 * {@link writeInOrder} (a pulled stream: archive files) and {@link writeEach} (a pushed one: live records) write
 * a stream of batches with a bounded number in flight.
 */
import { Subject, from, map, merge, mergeMap, type OperatorFunction } from 'rxjs';
import type { RecordBatch, WriteAck } from '../connectors/sink.js';

/** A batch written and not yet acknowledged by every sink. */
interface PendingWrite { readonly acked: boolean[]; remaining: number; ackedAtMs: number | undefined; readonly resolve: (ackedAtMs: number | undefined) => void; readonly reject: (e: unknown) => void }

/** Writes batches to every sink; see {@link sinkWriter}. */
export interface SinkWriter {
  write(batch: RecordBatch): Promise<number | undefined>;
  /** Stops at once: writes in flight are abandoned, sinks tear down in the background. */
  close(): void;
  /** Ends the input and resolves once every sink completed (a lake sink's writer heartbeat removed, …) or one failed. */
  finish(): Promise<void>;
}

/** Options of {@link sinkWriter}. */
export interface SinkWriterOptions {
  /**
   * The sinks' preparation (pipelines/backfill-sinks.ts `ready`): writes wait for it, and never happen if it
   * rejects (the caller stops on that rejection). @default prepared
   */
  readonly ready?: Promise<void>;
}

/**
 * Subscribes every sink once (sinks open their clients per subscription) and writes each batch to all of
 * them; `write` resolves when every sink acknowledged the batch. Several batches may be in flight, even two
 * with the same unit id (the same records cut twice): a sink's ack settles the oldest write of that unit id
 * the sink has not acknowledged yet (sinks acknowledge in order). A write resolves with the latest
 * `ackedAtMs` its sinks stamped (when the last of them heard from its service), or undefined if none stamps.
 */
export function sinkWriter(sinks: readonly OperatorFunction<RecordBatch, WriteAck>[], options: SinkWriterOptions = {}): SinkWriter {
  const batches = new Subject<RecordBatch>();
  const pending = new Map<string, PendingWrite[]>();
  let failure: unknown = null;
  const acks = sinks.map((sink, index) => batches.pipe(sink, map((ack) => [index, ack] as const)));
  let ended!: () => void;
  const finished = new Promise<void>((resolve) => { ended = resolve; });
  const subscription = merge(...acks).subscribe({
    next: ([index, ack]) => {
      const writes = pending.get(ack.unitId);
      const p = writes?.find((w) => !w.acked[index]);
      if (writes === undefined || p === undefined) return;
      p.acked[index] = true;
      if (ack.ackedAtMs !== undefined && (p.ackedAtMs === undefined || ack.ackedAtMs > p.ackedAtMs)) p.ackedAtMs = ack.ackedAtMs;
      if (--p.remaining > 0) return;
      writes.splice(writes.indexOf(p), 1);
      if (writes.length === 0) pending.delete(ack.unitId);
      p.resolve(p.ackedAtMs);
    },
    error: (error: unknown) => { failure = error; for (const writes of pending.values()) for (const p of writes) p.reject(error); pending.clear(); ended(); },
    complete: () => ended(),
  });
  const send = (batch: RecordBatch): Promise<number | undefined> => new Promise((resolve, reject) => {
    if (failure !== null) { reject(failure); return; }
    if (sinks.length === 0) { resolve(undefined); return; }
    const p: PendingWrite = { acked: sinks.map(() => false), remaining: sinks.length, ackedAtMs: undefined, resolve, reject };
    const writes = pending.get(batch.unitId);
    if (writes === undefined) pending.set(batch.unitId, [p]); else writes.push(p);
    batches.next(batch);
  });
  const prepared = options.ready?.catch(() => new Promise<never>(() => undefined));
  // Not an async function: its frame would hold the batch until the preparation; a sink may drop it sooner.
  const write = prepared === undefined ? send : (batch: RecordBatch): Promise<number | undefined> => prepared.then(() => send(batch));
  return {
    write,
    close: () => { batches.complete(); subscription.unsubscribe(); },
    finish: () => { batches.complete(); return finished; },
  };
}

/**
 * Writes `batches` to every sink in order, pulling the next one only while fewer than `inFlight` wait for their
 * acknowledgement: pulling is the backpressure (memory: that many batches), and parsing the next batch overlaps
 * the sinks' work on the previous ones. Resolves once every batch was acknowledged by every sink. Rejects with
 * the first failure, the source's or a write's, after every write it started settled, and stops pulling.
 */
export async function writeInOrder(writer: SinkWriter, batches: AsyncIterable<RecordBatch>, inFlight: number): Promise<void> {
  const pending: Promise<unknown>[] = []; // writes not known to be acknowledged, oldest first
  try {
    for await (const batch of batches) {
      const written = writer.write(batch);
      written.catch(() => undefined); // observed below, in order; a later write's rejection must not go unhandled meanwhile
      pending.push(written);
      if (pending.length >= Math.max(1, inFlight)) await pending.shift();
    }
    while (pending.length > 0) await pending.shift();
  } catch (error) {
    await Promise.allSettled(pending);
    throw error;
  }
}

/** A batch every sink acknowledged, with the latest `ackedAtMs` its sinks stamped (see {@link sinkWriter}). */
export interface Written { readonly batch: RecordBatch; readonly ackedAtMs: number | undefined }

/**
 * Writes each batch of a pushed stream to every sink as soon as it comes, up to `inFlight` unacknowledged (the
 * next wait here): a sink that fell behind then sees every waiting batch and can send them together. Emits each
 * batch once every sink acknowledged it, in input order (sinks acknowledge in order).
 */
export function writeEach(writer: SinkWriter, inFlight: number): OperatorFunction<RecordBatch, Written> {
  return mergeMap((batch) => from(writer.write(batch).then((ackedAtMs): Written => ({ batch, ackedAtMs }))), Math.max(1, inFlight));
}
