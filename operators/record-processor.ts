/**
 * How the stateful record operators are built: a per-subscription {@link RecordProcessor} driven by a
 * `Subscriber` that is chained to its destination before the source is subscribed. That chaining is what
 * lets `take(n)` stop a synchronous source mid-loop, and it routes a throwing callback inside the processor
 * to the error channel instead of crashing the process.
 */
import { Observable, Subscriber, type MonoTypeOperatorFunction } from 'rxjs';
import type { AnyRecord } from '../schemas/index.js';

/** Sends one record downstream. */
export type Emit = (record: AnyRecord) => void;

/** The state machine of one subscription of a record operator. */
export interface RecordProcessor {
  /** Handles one input record, emitting any number of records (itself included when it passes through). */
  push(record: AnyRecord, emit: Emit): void;
  /** The source completed: emit everything still held (watermarks close at +∞). */
  flush(emit: Emit): void;
}

class ProcessorSubscriber extends Subscriber<AnyRecord> {
  private readonly emit: Emit;

  constructor(destination: Subscriber<AnyRecord>, private readonly processor: RecordProcessor) {
    super(destination);
    this.emit = (record) => destination.next(record);
  }

  protected override _next(record: AnyRecord): void {
    try {
      this.processor.push(record, this.emit);
    } catch (error) {
      this.error(error);
    }
  }

  protected override _complete(): void {
    try {
      this.processor.flush(this.emit);
    } catch (error) {
      this.isStopped = false;
      this.error(error);
      return;
    }
    super._complete();
  }
}

/**
 * Makes a cold operator from a processor factory: every subscription gets a fresh processor (state is per
 * subscription), errors from the source pass through untouched, and unsubscribing tears the source down.
 */
export function processRecords(create: () => RecordProcessor): MonoTypeOperatorFunction<AnyRecord> {
  return (source) => new Observable<AnyRecord>((subscriber) => {
    const processor = create();
    source.subscribe(new ProcessorSubscriber(subscriber, processor));
  });
}
