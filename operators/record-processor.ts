/**
 * How the stateful record operators are built: a per-subscription {@link RecordProcessor} driven by a
 * `Subscriber` that is chained to its destination before the source is subscribed. That chaining is what
 * lets `take(n)` stop a synchronous source mid-loop, and it routes a throwing callback inside the processor
 * to the error channel instead of crashing the process.
 */
import { Observable, Subscriber, type MonoTypeOperatorFunction } from 'rxjs';
import type { AnyRecord } from '../schemas/index.js';
import { SharedStreams } from './stream-key-cache.js';

/** Sends one record downstream. */
export type Emit = (record: AnyRecord) => void;

/** What the processors of one fused run share (one per subscription). */
export interface RunContext {
  /** The stream lookup of the run: one lookup per record for all its stateful operators. */
  readonly streams: SharedStreams;
}

/** The state machine of one subscription of a record operator. */
export interface RecordProcessor {
  /** Handles one input record, emitting any number of records (itself included when it passes through). */
  push(record: AnyRecord, emit: Emit): void;
  /** The source completed: emit everything still held (watermarks close at +∞). */
  flush(emit: Emit): void;
}

/**
 * Drives the processors of a run of record operators piped one after another (`validate(), dedupe(),
 * resample(…)`): one subscriber for the whole run, each processor handing its output straight to the next
 * one's `push`, instead of one RxJS subscriber per operator (a `next`, a stopped check and a try/catch per
 * operator and record). Completion flushes them in order, each flush flowing through the processors after it,
 * exactly as separate operators complete one after another.
 */
class ProcessorSubscriber extends Subscriber<AnyRecord> {
  private readonly first: RecordProcessor;
  private readonly emits: Emit[];

  constructor(
    destination: Subscriber<AnyRecord>,
    private readonly processors: readonly RecordProcessor[],
    private readonly streams: SharedStreams,
  ) {
    super(destination);
    const emits: Emit[] = new Array<Emit>(processors.length);
    emits[processors.length - 1] = (record) => destination.next(record);
    for (let i = processors.length - 2; i >= 0; i--) emits[i] = stage(processors[i + 1], emits[i + 1]);
    this.first = processors[0];
    this.emits = emits;
  }

  protected override _next(record: AnyRecord): void {
    this.streams.clear();
    try {
      this.first.push(record, this.emits[0]);
    } catch (error) {
      this.error(error);
    }
  }

  protected override _complete(): void {
    this.streams.clear();
    try {
      for (let i = 0; i < this.processors.length; i++) this.processors[i].flush(this.emits[i]);
    } catch (error) {
      this.isStopped = false;
      this.error(error);
      return;
    }
    super._complete();
  }
}

function stage(processor: RecordProcessor, emit: Emit): Emit {
  return (record) => processor.push(record, emit);
}

/** The observable of a run of record operators: its upstream and the processor factories, in order. */
class RecordOperatorRun extends Observable<AnyRecord> {
  constructor(readonly upstream: Observable<AnyRecord>, readonly creates: readonly ((run: RunContext) => RecordProcessor)[]) {
    super((subscriber) => {
      const run: RunContext = { streams: new SharedStreams() };
      upstream.subscribe(new ProcessorSubscriber(subscriber, creates.map((create) => create(run)), run.streams));
    });
  }
}

/**
 * Makes a cold operator from a processor factory: every subscription gets a fresh processor (state is per
 * subscription), errors from the source pass through untouched, and unsubscribing tears the source down.
 * Piped directly after another operator made here, the two run as one (see {@link ProcessorSubscriber}).
 */
export function processRecords(create: (run: RunContext) => RecordProcessor): MonoTypeOperatorFunction<AnyRecord> {
  return (source) => (source instanceof RecordOperatorRun
    ? new RecordOperatorRun(source.upstream, [...source.creates, create])
    : new RecordOperatorRun(source, [create]));
}
