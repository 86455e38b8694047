/**
 * The skeleton the sinks share (ClickHouse, Kafka, the Parquet lake): each batch is prepared as it arrives
 * (encoded, so its records can go), waits in a queue, and leaves it in a group taken from the head; up to
 * `concurrency` groups are sent at once, and the acknowledgements come out one per batch in input order, whatever
 * order the sends finish in (the contract of connectors/sink.ts). A sink that falls behind thus sends larger
 * groups instead of more of them. One failure, a preparation's or a send's, fails the sink; it completes once
 * its input did, every batch was acknowledged and its own `finish` resolved.
 */
import { Observable, defer, type OperatorFunction } from 'rxjs';
import type { RecordBatch, WriteAck } from './sink.js';

/** What one subscription of a sink does with its batches (see the module doc). `W`: a batch waiting. */
export interface BatchingSink<W> {
  /** Groups being sent at once. @default 1 */
  readonly concurrency?: number;
  /** A batch as it arrives, in its waiting form; throws to fail the sink (a record that cannot be encoded). */
  prepare(batch: RecordBatch): W;
  /** The batches waiting and not yet taken, after each arrival and around each take: work to start ahead (encoding). */
  ahead?(waiting: readonly W[]): void;
  /** Removes the next group from the head of `waiting`: the head at least. @default the head alone */
  take?(waiting: W[]): W[] | Promise<W[]>;
  /** Sends one group, calling `acked` once per batch in order, at the latest just before it resolves. */
  send(group: readonly W[], acked: (ack: WriteAck) => void): Promise<void>;
  /** After the input completed and every batch was acknowledged, before the sink completes (a heartbeat removed). */
  finish?(): Promise<void>;
  /** Teardown, once: unsubscribed, failed or completed. */
  close?(): void;
}

/** A group sent, in input order: its acks wait here until every earlier group's went out. */
interface Sending { readonly acks: WriteAck[]; done: boolean }

/** A sink built on the skeleton: `open` runs per subscription (a sink opens its clients per subscription). */
export function batchingSink<W>(open: () => BatchingSink<W>): OperatorFunction<RecordBatch, WriteAck> {
  return (batches) => defer(() => new Observable<WriteAck>((subscriber) => {
    const sink = open();
    const concurrency = Math.max(1, sink.concurrency ?? 1);
    const waiting: W[] = [];
    const sending: Sending[] = [];
    let active = 0; // groups whose send has not resolved
    let pumping = false;
    let scheduled = false;
    let inputDone = false;
    let finishing = false;
    const fail = (error: unknown): void => subscriber.error(error);
    const completeIfDone = (): void => {
      if (!inputDone || finishing || pumping || waiting.length > 0 || sending.length > 0 || subscriber.closed) return;
      finishing = true;
      (sink.finish?.() ?? Promise.resolve()).then(() => subscriber.complete(), fail);
    };
    const flush = (): void => {
      while (sending.length > 0 && !subscriber.closed) {
        const head = sending[0];
        for (const ack of head.acks.splice(0)) subscriber.next(ack);
        if (!head.done) return;
        sending.shift();
      }
      completeIfDone();
    };
    const pump = async (): Promise<void> => {
      scheduled = false;
      if (pumping) return;
      pumping = true;
      try {
        while (waiting.length > 0 && active < concurrency && !subscriber.closed) {
          sink.ahead?.(waiting);
          const group = sink.take === undefined ? [waiting.shift() as W] : await sink.take(waiting);
          sink.ahead?.(waiting);
          const slot: Sending = { acks: [], done: false };
          sending.push(slot);
          active++;
          sink.send(group, (ack) => { slot.acks.push(ack); if (slot === sending[0]) flush(); }).then(() => {
            slot.done = true;
            active--;
            flush();
            schedule();
          }, fail);
        }
      } finally {
        pumping = false;
      }
      completeIfDone();
    };
    // From the next microtask: batches handed over in one synchronous burst can go out in one group.
    const schedule = (): void => {
      if (scheduled || subscriber.closed) return;
      scheduled = true;
      Promise.resolve().then(pump).catch(fail);
    };
    const subscription = batches.subscribe({
      next: (batch) => {
        let prepared: W;
        try {
          prepared = sink.prepare(batch);
        } catch (error) {
          fail(error);
          return;
        }
        waiting.push(prepared);
        sink.ahead?.(waiting);
        schedule();
      },
      error: fail,
      complete: () => { inputDone = true; completeIfDone(); },
    });
    return () => {
      subscription.unsubscribe();
      sink.close?.();
    };
  }));
}
