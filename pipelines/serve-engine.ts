/**
 * The serving engine: the {@link servePipeline} kept running across Kafka batches, and what it still needs of
 * its input. Records are pushed in synchronously and the outputs they caused are taken out right after, so
 * a batch's outputs are known when the batch has been pushed. The engine also answers the question behind
 * every offset commit: from which event time on must a partition be re-read so that a fresh engine rebuilds
 * exactly the state this one holds ({@link ServeEngine.horizonUs}).
 */
import { Subject, type Subscription } from 'rxjs';
import type { IndicatorOrigin, IndicatorsOptions } from '../operators/indicators.js';
import { SharedStreams, type StreamClock } from '../operators/stream-key-cache.js';
import { windowStartUs, type KlineInterval } from '../schemas/interval.js';
import type { AnyRecord, KlineRecord } from '../schemas/records.js';
import { makeVersion, sequenceOfVersion } from '../schemas/version.js';
import { servePipeline, type ServePipelineOptions } from './serve-pipeline.js';

/** What the engine knows of one stream key: where its records come from and how far they got. */
class StreamMark {
  constructor(readonly key: string) {}

  /** Partition numbers the stream's records were read from (one when topics are co-partitioned). */
  readonly partitions: number[] = [];
  /** Lowest event time pushed in. */
  minInUs = Infinity;
  /** Highest event time among the stream's records that came out (what the later operators' clocks saw). */
  maxOutUs = -Infinity;
}

/** The latest time at or before `timeUs` that starts a window of every interval (weeks and months may need several steps back). */
export function alignedDown(timeUs: number, intervals: readonly KlineInterval[]): number {
  let aligned = timeUs;
  for (let moved = true; moved;) {
    moved = false;
    for (const interval of intervals) {
      const start = windowStartUs(aligned, interval);
      if (start !== aligned) { aligned = start; moved = true; }
    }
  }
  return aligned;
}

/**
 * A bar cut short by {@link ServeEngine.flush}: open (`isClosed: false`) and ranked as an open live kline, so
 * the closed bar of the same window, built when the stream moves on, supersedes it in every sink.
 */
export function provisional(bar: KlineRecord): KlineRecord {
  return { ...bar, isClosed: false, version: makeVersion('ws', sequenceOfVersion(bar.version), false) };
}

/** One running serving chain with its state; see the module comment. */
export class ServeEngine {
  private readonly batch = new Subject<AnyRecord>();
  private readonly speed = new Subject<AnyRecord>();
  private readonly subscription: Subscription;
  private out: AnyRecord[] = [];
  private failure: unknown = undefined;
  private oldestHeldUs: (key: string) => number = () => Infinity;
  private indicatorHorizon: Parameters<NonNullable<IndicatorsOptions['horizonProbe']>>[0] = () => undefined;
  /** The partition being pushed and where its input began: the origin of the bar streams it opens. */
  private pushing: IndicatorOrigin = { startUs: -Infinity, tag: -1 };
  private dropped: () => number = () => 0;
  /**
   * The chain's one stream lookup: a record is looked up when it is pushed, and every operator after (and the
   * bookkeeping of what comes out) finds its stream in the lookup's memo (see SharedStreams).
   */
  private readonly streams = new SharedStreams();
  /** The marks by the streams' shared numbers. */
  private readonly marks: (StreamMark | undefined)[] = [];
  private readonly allMarks: StreamMark[] = [];

  constructor(private readonly options: ServePipelineOptions) {
    const chain = servePipeline({ batch: this.batch, speed: this.speed }, {
      ...options, mergeProbe: (probe) => { this.oldestHeldUs = probe; }, dedupeProbe: (probe) => { this.dropped = probe; },
      indicatorOrigin: () => this.pushing, indicatorHorizonProbe: (probe) => { this.indicatorHorizon = probe; },
      streams: this.streams,
    });
    this.subscription = chain.subscribe({
      next: (record) => {
        this.out.push(record);
        // As it comes out (the lookup's memo still holds it): how far its stream got.
        if (record.kind === 'deadLetter' || record.kind === 'gap' || record.source === 'resample' || record.source === 'fill' || record.source === 'derived') return;
        const mark = this.markOf(record);
        if (record.eventTimeUs > mark.maxOutUs) mark.maxOutUs = record.eventTimeUs;
      },
      error: (error: unknown) => { this.failure = error; },
    });
  }

  private markOf(record: AnyRecord): StreamMark {
    const stream = this.streams.streamOf(record);
    return this.marks[stream.state] ?? this.newMark(stream);
  }

  private newMark(stream: StreamClock<number>): StreamMark {
    const mark = new StreamMark(stream.key);
    while (this.marks.length < stream.state) this.marks.push(undefined);
    this.marks[stream.state] = mark;
    this.allMarks.push(mark);
    return mark;
  }

  /** Copies dedupe dropped in this engine (dedupe hits). */
  get duplicatesDropped(): number {
    return this.dropped();
  }

  /** Stream lookups by key so far: one per record pushed (the chain after it finds the stream in the lookup's memo). */
  get streamLookups(): number {
    return this.streams.lookups;
  }

  /** Number of stream keys seen. */
  get streamCount(): number {
    return this.allMarks.length;
  }

  /**
   * Pushes records read from partition number `partition`, whose records before `restoredUs` (the horizon it was
   * re-read from) skip the chain; returns every output they caused. Throws the chain's failure.
   */
  push(records: readonly AnyRecord[], partition: number, restoredUs = -Infinity): AnyRecord[] {
    if (this.pushing.tag !== partition || this.pushing.startUs !== restoredUs) this.pushing = { startUs: restoredUs, tag: partition };
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      if (record.kind !== 'deadLetter') {
        const mark = this.markOf(record);
        if (mark.partitions.length === 0 || !mark.partitions.includes(partition)) mark.partitions.push(partition);
        if (record.eventTimeUs < mark.minInUs) mark.minInUs = record.eventTimeUs;
      }
      (record.source === 'archive' ? this.batch : this.speed).next(record);
    }
    return this.take();
  }

  /** Outputs caused since the last call (asynchronous ones too: a REST fill that completed meanwhile). */
  take(): AnyRecord[] {
    if (this.failure !== undefined) throw this.failure;
    const out = this.out;
    this.out = [];
    return out;
  }

  /**
   * The event time from which partition number `partition` must be re-read for a fresh engine to rebuild this
   * one's state: per stream, the oldest of what the merge still holds and of the open bar windows (those the
   * allowed lateness may still update), aligned down to a window start of every interval — so that a
   * re-read gives every bar window from there on all its inputs, and none a partial one. It covers the gap
   * detector's cursor (the stream's last record) too, and the seeds of the indicator rows still to come (see
   * IndicatorStream.neededFromUs). +∞ when the partition has no open stream.
   */
  horizonUs(partition: number): number {
    let horizon = Infinity;
    for (const mark of this.allMarks) {
      if (!mark.partitions.includes(partition)) continue;
      const reached = mark.maxOutUs === -Infinity ? mark.minInUs : mark.maxOutUs - this.options.allowedLatenessUs;
      const needed = Math.min(reached, this.oldestHeldUs(mark.key));
      if (needed < horizon) horizon = needed;
    }
    if (Number.isFinite(horizon)) this.indicatorHorizon((tag, needed) => { if (tag === partition && needed < horizon) horizon = needed; });
    return Number.isFinite(horizon) ? alignedDown(horizon, this.options.intervals) : horizon;
  }

  /**
   * Ends the input: everything held comes out (open bar windows as provisional bars, see
   * {@link provisional}); the engine takes no more records.
   */
  flush(): AnyRecord[] {
    this.batch.complete();
    this.speed.complete();
    return this.take().map((record) => (record.kind === 'kline' && record.source === 'resample' ? provisional(record) : record));
  }

  /** Drops the chain and its state (a rebalance, a failed sink: a fresh engine re-reads from the commits). */
  close(): void {
    this.subscription.unsubscribe();
  }
}
