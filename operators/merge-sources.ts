/**
 * `mergeSources`: one stream of records from several layers (archive, REST, live) of the same streams, in
 * event-time order per stream key, with conflicts between copies settled by the version rule.
 */
import { asyncScheduler, Observable, Subscriber } from 'rxjs';
import { identityKeyOf, type AnyRecord } from '../schemas/index.js';
import { EventTimeQueue, type QueueEntry } from './event-time-queue.js';
import { noState, WatermarkTracker, type WatermarkOptions } from './watermark.js';
import { StreamClock, StreamIndex, type SharedStreams } from './stream-key-cache.js';

/**
 * Options of {@link mergeSources}: the event-time clock of every input. Unlike the other operators,
 * `idleTimeoutMs` defaults to {@link MERGE_IDLE_TIMEOUT_MS}: a layer that is silent on a stream (a REST repair
 * source between repairs) must not hold that stream back forever.
 */
export interface MergeSourcesOptions extends WatermarkOptions {
  /**
   * Receives, once per subscription, a function giving the event time of the oldest record held back for a
   * stream key (+∞ when none): what a consumer that commits input offsets must still be able to re-read.
   */
  stateProbe?: (oldestHeldUs: (key: string) => number) => void;
  /** Receives, once per subscription, a function giving the number of copies collapsed into a held record so far (dedupe hits, for monitoring). */
  collapseProbe?: (collapsed: () => number) => void;
}

/** Default `idleTimeoutMs` of {@link mergeSources}. */
export const MERGE_IDLE_TIMEOUT_MS = 10_000;

interface MergeStream {
  readonly key: string;
  readonly queue: EventTimeQueue;
  readonly pending: Map<string | number, QueueEntry>;
  releasedUs: number;
  /** Each source's clock of the stream (its tracker's), once the source sent the stream a record. */
  readonly clocks: (StreamClock<undefined> | undefined)[];
  /** The stream in the chain's shared lookup (`options.streams`), remembered for each record released. */
  shared: StreamClock<number> | undefined;
}

/**
 * The identity of a record within its stream (default stream key): the trade / aggTrade id or the kline's open
 * time — no string to build per record, which the merge did twice per record.
 */
function identityInStream(record: AnyRecord): string | number {
  switch (record.kind) {
    case 'trade': return record.tradeId;
    case 'aggTrade': return record.aggTradeId;
    case 'kline': return record.openTimeUs;
    default: return identityKeyOf(record);
  }
}

class Merger {
  private readonly trackers: WatermarkTracker[];
  private readonly done: boolean[];
  private readonly streams = new Map<string, MergeStream>();
  /** The stream of a record: by the default stream key without building it, else by `keyOf`. */
  private readonly streamOf: (record: AnyRecord) => MergeStream;
  private readonly identityOf: (record: AnyRecord) => string | number;
  private readonly shared: SharedStreams | undefined;
  /** With `options.streams`: the streams by their shared number. */
  private readonly byNumber: (MergeStream | undefined)[] = [];
  private readonly idleTimeoutMs: number;
  private readonly startMs: number;
  private collapsed = 0;

  constructor(count: number, private readonly options: MergeSourcesOptions, private readonly out: Subscriber<AnyRecord>) {
    this.idleTimeoutMs = options.idleTimeoutMs ?? MERGE_IDLE_TIMEOUT_MS;
    const clockOptions = { ...options, idleTimeoutMs: this.idleTimeoutMs };
    this.trackers = Array.from({ length: count }, () => new WatermarkTracker(clockOptions, noState));
    this.done = new Array<boolean>(count).fill(false);
    this.shared = options.keyOf === undefined ? options.streams : undefined;
    if (this.shared !== undefined) {
      const shared = this.shared;
      this.streamOf = (record) => {
        const stream = shared.streamOf(record);
        return this.byNumber[stream.state] ?? this.numbered(stream);
      };
    } else if (options.keyOf === undefined) {
      // A stream's state is dropped only once every source completed, after which nothing is pushed.
      const index = new StreamIndex((key) => new StreamClock(key, this.streamFor(key)));
      this.streamOf = (record) => index.get(record).state;
    } else {
      const keyOf = options.keyOf;
      this.streamOf = (record) => this.streamFor(keyOf(record));
    }
    this.identityOf = options.keyOf === undefined ? identityInStream : identityKeyOf;
    this.startMs = (options.scheduler ?? asyncScheduler).now();
    options.stateProbe?.((key) => this.streams.get(key)?.queue.minEventUs ?? Infinity);
    options.collapseProbe?.(() => this.collapsed);
  }

  /** First sight of a shared stream number. */
  private numbered(shared: StreamClock<number>): MergeStream {
    const stream = this.streamFor(shared.key);
    stream.shared = shared;
    while (this.byNumber.length < shared.state) this.byNumber.push(undefined);
    this.byNumber[shared.state] = stream;
    return stream;
  }

  /** The state of a stream key, made and registered when the key has none. */
  private streamFor(key: string): MergeStream {
    let stream = this.streams.get(key);
    if (stream === undefined) {
      stream = { key, queue: new EventTimeQueue(), pending: new Map(), releasedUs: -Infinity, clocks: new Array<undefined>(this.trackers.length).fill(undefined), shared: undefined };
      this.streams.set(key, stream);
    }
    return stream;
  }

  push(index: number, record: AnyRecord): void {
    const stream = this.streamOf(record);
    const tracker = this.trackers[index];
    tracker.advance(stream.clocks[index] ?? (stream.clocks[index] = tracker.clockOf(stream.key)), record);
    if (record.eventTimeUs < stream.releasedUs) {
      this.out.next(record);
    } else {
      const identity = this.identityOf(record);
      const held = stream.pending.get(identity);
      if (held === undefined) {
        stream.pending.set(identity, stream.queue.push(record));
      } else {
        this.collapsed++;
        if (record.version > held.record.version) held.record = record;
      }
    }
    this.release(stream, this.watermarkOf(stream));
  }

  /** A source completed: it no longer holds any stream back. True when every source is done. */
  complete(index: number): boolean {
    this.done[index] = true;
    const allDone = this.done.every(Boolean);
    for (const stream of [...this.streams.values()]) this.release(stream, allDone ? Infinity : this.watermarkOf(stream));
    return allDone;
  }

  /** The stream's watermark: the lowest of the sources still active on it (done and idle sources excluded). */
  private watermarkOf(stream: MergeStream): number {
    if (this.idleTimeoutMs === 0) return this.highestOf(stream); // every source counts as idle at once
    const nowMs = this.idleTimeoutMs === Infinity ? 0 : (this.options.scheduler ?? asyncScheduler).now();
    let lowest = Infinity;
    let highest = -Infinity;
    for (let i = 0; i < this.trackers.length; i++) {
      const clock = stream.clocks[i];
      if (clock !== undefined && clock.watermarkUs > highest) highest = clock.watermarkUs;
      if (this.done[i]) continue;
      const lastSeenMs = clock === undefined ? this.startMs : clock.lastSeenMs;
      if (nowMs - lastSeenMs >= this.idleTimeoutMs) continue;
      lowest = Math.min(lowest, clock === undefined ? -Infinity : clock.watermarkUs);
    }
    return lowest === Infinity ? highest : lowest;
  }

  private highestOf(stream: MergeStream): number {
    let highest = -Infinity;
    for (let i = 0; i < stream.clocks.length; i++) {
      const clock = stream.clocks[i];
      if (clock !== undefined && clock.watermarkUs > highest) highest = clock.watermarkUs;
    }
    return highest;
  }

  private release(stream: MergeStream, watermarkUs: number): void {
    if (watermarkUs <= stream.releasedUs) return;
    stream.releasedUs = watermarkUs;
    if (stream.queue.minEventUs >= watermarkUs) return;
    for (let entry = stream.queue.popOneBelow(watermarkUs); entry !== undefined; entry = stream.queue.popOneBelow(watermarkUs)) {
      stream.pending.delete(this.identityOf(entry.record));
      if (stream.shared !== undefined) this.shared?.remember(entry.record, stream.shared);
      this.out.next(entry.record);
    }
    if (stream.queue.size === 0 && watermarkUs === Infinity) {
      this.streams.delete(stream.key);
      if (stream.shared !== undefined) this.byNumber[stream.shared.state] = undefined;
    }
  }
}

class MergeInput extends Subscriber<AnyRecord> {
  constructor(private readonly out: Subscriber<AnyRecord>, private readonly index: number, private readonly merger: Merger) {
    super(out);
  }

  protected override _next(record: AnyRecord): void {
    try {
      this.merger.push(this.index, record);
    } catch (error) {
      this.out.error(error);
    }
  }

  protected override _complete(): void {
    try {
      if (this.merger.complete(this.index)) this.out.complete();
    } catch (error) {
      this.out.error(error);
    }
    this.unsubscribe();
  }
}

/**
 * Subscribes to every source (say `[archive$, rest$, live$]`) and emits their records per stream key in
 * event-time order (ties in arrival order). Copies of one identity key held at the same time collapse to the
 * highest version (archive > rest > closed ws > open ws > fill; later ingest over earlier). A stream's
 * watermark is the lowest watermark among the sources still active on it: a source that completed, or that
 * sent nothing for that stream within `idleTimeoutMs` (default 10 s), no longer holds it back; a source that has not yet
 * sent the stream holds it at −∞ until it does, goes idle or completes. Records behind the released
 * watermark (later than the out-of-orderness allows) are emitted at once, out of order — never dropped;
 * `dedupe` and the sinks settle them by version. Errors of any source pass through; completes when all do.
 *
 * Memory: per stream key, the records not yet released (within `maxOutOfOrderUs` of the slowest active
 * source, or everything while a source is silent and not yet idle) and one watermark per source.
 */
export function mergeSources(sources: readonly Observable<AnyRecord>[], options: MergeSourcesOptions = {}): Observable<AnyRecord> {
  return new Observable<AnyRecord>((subscriber) => {
    if (sources.length === 0) {
      subscriber.complete();
      return;
    }
    const merger = new Merger(sources.length, options, subscriber);
    sources.forEach((source, index) => {
      if (!subscriber.closed) source.subscribe(new MergeInput(subscriber, index, merger));
    });
  });
}
