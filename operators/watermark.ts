/**
 * Event-time watermarks per stream key, and the `watermark` operator that makes them visible by releasing
 * each stream's records in event-time order.
 *
 * Definition used by every operator here: the watermark of a stream is
 * `max(eventTimeUs seen on the stream) − maxOutOfOrderUs`; a record with `eventTimeUs < watermark` is *late*.
 * A window `[startUs, endUs)` is complete once the watermark reaches `endUs`. Watermarks never go back.
 *
 * Idle streams: each stream has its own watermark, so a quiet stream never holds back another. A stream that
 * received nothing for `idleTimeoutMs` (measured on `scheduler`) is *idle*: its watermark is advanced to the
 * frontier (the highest watermark of any stream), so its open windows close as event time moves on
 * elsewhere. Idleness is checked lazily on arrivals, at most once per `idleTimeoutMs`; when the source
 * completes every watermark goes to +∞ (everything is flushed).
 */
import { asyncScheduler, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import type { AnyRecord } from '../schemas/index.js';
import { EventTimeQueue } from './event-time-queue.js';
import { processRecords, type Emit, type RecordProcessor, type RunContext } from './record-processor.js';
import { StreamClock, StreamIndex, type SharedStreams } from './stream-key-cache.js';

export { StreamClock };

/** Event-time clock options shared by the watermark-driven operators. */
export interface WatermarkOptions {
  /** How far (µs of event time) a record may trail the newest record of its stream and still be on time. @default 0 */
  maxOutOfOrderUs?: number;
  /** A stream with no records for this long (ms, on `scheduler`) is idle and follows the frontier. @default Infinity (never idle) */
  idleTimeoutMs?: number;
  /** The clock that measures idleness. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** The stream key of a record. @default streamKeyOf (schemas/identity.ts), cached per stream */
  keyOf?: (record: AnyRecord) => string;
  /**
   * The stream lookup of a whole chain, shared with the operators before and after this one (the serving
   * engine's: one lookup per record for all of them; see SharedStreams). Only for the default stream key;
   * every record must stay unchanged once it entered the chain. @default the run's own (record-processor.ts)
   */
  streams?: SharedStreams;
}

/** State factory for trackers that need no per-stream state. */
export function noState(): undefined {
  return undefined;
}

const NO_KEYS: readonly never[] = [];

/**
 * Per-key watermarks with bounded out-of-orderness and idle handling. Memory: one entry per stream key
 * (not per record); `delete` drops a key.
 */
export class WatermarkTracker<S = undefined> {
  /** The highest watermark of any stream, µs. */
  frontierUs = -Infinity;
  private readonly clocks = new Map<string, StreamClock<S>>();
  private readonly maxOutOfOrderUs: number;
  private readonly idleTimeoutMs: number;
  private readonly scheduler: SchedulerLike;
  private lastScanMs: number;

  private readonly index: StreamIndex<S> | undefined;
  private readonly keyOf: ((record: AnyRecord) => string) | undefined;
  /** The run's shared lookup (default keys only), and this tracker's clocks by shared stream number. */
  private readonly shared: SharedStreams | undefined;
  private readonly byNumber: (StreamClock<S> | undefined)[] = [];

  /**
   * `createState` makes the operator's state of a stream on its first record. With `shared` (the run's
   * lookup; used only for the default stream key) the stream of a record is looked up once per run.
   */
  constructor(options: WatermarkOptions, private readonly createState: (key: string) => S, shared?: SharedStreams) {
    this.keyOf = options.keyOf;
    this.shared = options.keyOf === undefined ? (options.streams ?? shared) : undefined;
    this.index = options.keyOf === undefined && this.shared === undefined ? new StreamIndex<S>((key) => this.clockOf(key)) : undefined;
    this.maxOutOfOrderUs = options.maxOutOfOrderUs ?? 0;
    this.idleTimeoutMs = options.idleTimeoutMs ?? Infinity;
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.lastScanMs = this.idleTimeoutMs === Infinity ? 0 : this.scheduler.now();
  }

  /** Number of stream keys held. */
  get size(): number {
    return this.clocks.size;
  }

  /** The clock of a key, created on first use. */
  clockOf(key: string): StreamClock<S> {
    let clock = this.clocks.get(key);
    if (clock === undefined) {
      clock = new StreamClock(key, this.createState(key));
      this.clocks.set(key, clock);
    }
    return clock;
  }

  /** The clock of a record's stream (by `keyOf`), created on first use. */
  clockFor(record: AnyRecord): StreamClock<S> {
    if (this.shared !== undefined) {
      const stream = this.shared.streamOf(record);
      return this.byNumber[stream.state] ?? this.numbered(stream);
    }
    return this.index !== undefined ? this.index.get(record) : this.clockOf((this.keyOf as (record: AnyRecord) => string)(record));
  }

  /** First sight of a shared stream number: this tracker's clock for its key. */
  private numbered(stream: StreamClock<number>): StreamClock<S> {
    const clock = this.clockOf(stream.key);
    while (this.byNumber.length < stream.state) this.byNumber.push(undefined);
    this.byNumber[stream.state] = clock;
    return clock;
  }

  /** The clock of a key, or undefined when the key was never seen. */
  find(key: string): StreamClock<S> | undefined {
    return this.clocks.get(key);
  }

  /** True when idle detection is on (`idleTimeoutMs` finite). */
  get detectsIdle(): boolean {
    return this.idleTimeoutMs !== Infinity;
  }

  /** Records an event on a key and advances its watermark; returns the key's clock. */
  observe(key: string, eventTimeUs: number): StreamClock<S> {
    return this.advance(this.clockOf(key), { eventTimeUs });
  }

  /**
   * Records a record's event on a clock already looked up and advances its watermark. Takes the record, not
   * its time: a µs time passed to a call that is not inlined is boxed into a fresh heap number per record.
   */
  advance(clock: StreamClock<S>, record: { readonly eventTimeUs: number }): StreamClock<S> {
    const eventTimeUs = record.eventTimeUs;
    // With a timeout of 0 every stream counts as idle at once: when it was last seen does not matter.
    if (this.idleTimeoutMs !== Infinity && this.idleTimeoutMs !== 0) clock.lastSeenMs = this.scheduler.now();
    if (eventTimeUs > clock.maxEventUs) {
      clock.maxEventUs = eventTimeUs;
      const watermarkUs = eventTimeUs - this.maxOutOfOrderUs;
      if (watermarkUs > clock.watermarkUs) {
        clock.watermarkUs = watermarkUs;
        if (watermarkUs > this.frontierUs) this.frontierUs = watermarkUs;
      }
    }
    return clock;
  }

  /**
   * Advances every idle key (nothing seen for `idleTimeoutMs`) to the frontier and returns those keys.
   * Cheap when called per record: it scans at most once per `idleTimeoutMs`.
   */
  advanceIdle(): readonly StreamClock<S>[] {
    if (this.idleTimeoutMs === Infinity) return NO_KEYS;
    const nowMs = this.scheduler.now();
    if (nowMs - this.lastScanMs < this.idleTimeoutMs) return NO_KEYS;
    this.lastScanMs = nowMs;
    const advanced: StreamClock<S>[] = [];
    for (const clock of this.clocks.values()) {
      if (nowMs - clock.lastSeenMs >= this.idleTimeoutMs && clock.watermarkUs < this.frontierUs) {
        clock.watermarkUs = this.frontierUs;
        advanced.push(clock);
      }
    }
    return advanced;
  }

  /** Every clock (for flushing). */
  clocksNow(): StreamClock<S>[] {
    return [...this.clocks.values()];
  }
}

type ReorderStream = StreamClock<EventTimeQueue>;

class ReorderProcessor implements RecordProcessor {
  private readonly tracker: WatermarkTracker<EventTimeQueue>;

  constructor(options: WatermarkOptions, run: RunContext) {
    this.tracker = new WatermarkTracker(options, () => new EventTimeQueue(), run.streams);
  }

  push(record: AnyRecord, emit: Emit): void {
    const stream = this.tracker.clockFor(record);
    const late = record.eventTimeUs < stream.watermarkUs;
    this.tracker.advance(stream, record);
    if (late) {
      emit(record);
    } else {
      stream.state.push(record);
      release(stream, emit);
    }
    for (const idle of this.tracker.advanceIdle()) release(idle, emit);
  }

  flush(emit: Emit): void {
    for (const stream of this.tracker.clocksNow()) {
      stream.watermarkUs = Infinity;
      release(stream, emit);
    }
  }
}

function release(stream: ReorderStream, emit: Emit): void {
  for (let entry = stream.state.popOneBelow(stream.watermarkUs); entry !== undefined; entry = stream.state.popOneBelow(stream.watermarkUs)) emit(entry.record);
}

/**
 * Releases each stream's records in event-time order (ties in arrival order) once the stream's watermark
 * passes them. A record that arrives already behind its stream's watermark (later than `maxOutOfOrderUs`)
 * is emitted at once, out of order: it is never dropped, and `dedupe`/the sinks settle it by version.
 * Kinds without event time of their own (gap, deadLetter) are ordered like any other record of their key.
 *
 * Memory: per stream key a watermark plus the records within `maxOutOfOrderUs` of its newest record (all
 * held records of an idle stream are released when it goes idle); everything is flushed on completion.
 */
export function watermark(options: WatermarkOptions = {}): MonoTypeOperatorFunction<AnyRecord> {
  return processRecords((run) => new ReorderProcessor(options, run));
}
