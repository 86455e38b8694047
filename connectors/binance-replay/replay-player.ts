/**
 * The replay clock: plays feed events at `speed` × their recorded pace (Infinity = as fast as possible, in
 * chunks that yield to the event loop so faults and client traffic interleave), or at an even `rate` of
 * events per second whatever their recorded times (a load test's constant push), pausing while the sockets
 * are congested. Timers are cleared by `stop()`.
 */
import { performance } from 'node:perf_hooks';
import type { FeedEvent } from './replay-feed.js';
import { ArrayQueue, type PlayQueue } from './replay-queue.js';

/** Events played per turn of the event loop at most (between turns: faults, client traffic, the reader). */
const CHUNK = 256;

/** Plays events through `deliver` (returns false when the sockets are congested). */
export class ReplayPlayer {
  /** Events played in the current lap. */
  private cursor = 0;
  /** Events played in all laps. */
  private total = 0;
  private lap = 0;
  /** Events of the first lap, once it ended. */
  private lapLength = -1;
  private startWallMs = 0;
  private started = false;
  private stopped = false;
  private waiting = false;
  /** The next event, taken from the queue but not due yet. */
  private pending: FeedEvent | undefined;
  /** Events of the first lap played before pausing (see {@link pauseAt}). */
  private limit = Infinity;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private resolveFinished!: () => void;
  private rejectFinished!: (error: unknown) => void;
  /** Resolves when the last event was played (never with `loop`); rejects when the feed could not be read to its end. */
  readonly finished = new Promise<void>((resolve, reject) => { this.resolveFinished = resolve; this.rejectFinished = reject; });
  /** Time span of one lap, ms (looping shifts times by this per lap); known once the first lap was played. */
  lapSpanMs = 1;
  /** Aggregate-trade id span of one lap (looping shifts `a` by this per lap). */
  lapAggIdSpan = 0;
  /** Trade id span of one lap (looping shifts `t`, `f`, `l` by this per lap). */
  lapTradeIdSpan = 0;
  private t0 = Number.NaN;
  private readonly spans = { lastMs: -Infinity, aggMin: Infinity, aggMax: -Infinity, tradeMin: Infinity, tradeMax: -Infinity };
  private readonly speed: number;
  private readonly rate: number | undefined;
  private readonly queue: PlayQueue;

  /**
   * `pace` is a speed factor (a number: 1 = real time, Infinity = as fast as possible) or `{ rate }`: that
   * many events per second, evenly spaced (event n of the run is due n / rate s after the start). `events` is
   * the feed in memory, or a {@link PlayQueue} that reads it as it plays.
   */
  constructor(
    events: readonly FeedEvent[] | PlayQueue, pace: number | { readonly rate: number }, private readonly loop: boolean,
    private readonly deliver: (event: FeedEvent, lap: number) => boolean, private readonly beforeBatch: () => void,
    private readonly afterBatch: () => void = () => undefined,
  ) {
    this.speed = typeof pace === 'number' ? pace : Infinity;
    this.rate = typeof pace === 'number' ? undefined : pace.rate;
    this.queue = Array.isArray(events) ? new ArrayQueue(events as readonly FeedEvent[]) : events as PlayQueue;
  }

  /** Events of the first lap played so far (all of them once it ended). */
  get playedCount(): number { return this.lap > 0 ? this.lapLength : this.cursor; }

  /** The lap being played (0 = the first). */
  get currentLap(): number { return this.lap; }

  /** Starts the clock (idempotent). */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.startWallMs = performance.now();
    this.schedule(0);
  }

  /**
   * Plays at most the first `count` events, then pauses until called again with a larger count (Infinity =
   * to the end): a test moves the feed one step at a time, waiting on its client's records between steps,
   * so what the client has seen when a fault is armed does not depend on how fast it runs.
   */
  pauseAt(count: number): void {
    this.limit = count;
    if (this.started) this.schedule(0);
  }

  /** Runs pending faults now and resumes playing. */
  wake(): void {
    this.beforeBatch();
    this.afterBatch();
    if (this.started) this.schedule(0);
  }

  /** Stops playing, reading and clears timers. */
  stop(): void {
    this.stopped = true;
    this.queue.close();
    clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
  }

  private schedule(delayMs: number): void {
    if (this.stopped || this.waiting) return;
    clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined; this.immediate = undefined;
    if (delayMs <= 0) this.immediate = setImmediate(() => this.pump());
    else this.timer = setTimeout(() => this.pump(), delayMs);
  }

  private dueWallMs(event: FeedEvent): number {
    if (this.rate !== undefined) return this.startWallMs + (this.total * 1000) / this.rate;
    if (!Number.isFinite(this.speed)) return 0;
    if (Number.isNaN(this.t0)) this.t0 = event.timeMs;
    return this.startWallMs + (event.timeMs - this.t0 + this.lap * this.lapSpanMs) / this.speed;
  }

  private pump(): void {
    this.timer = undefined; this.immediate = undefined;
    this.beforeBatch();
    try {
      this.play(performance.now());
    } finally {
      this.afterBatch();
    }
  }

  /** Delivers every event due at `now` (at most {@link CHUNK}), then schedules the next pump. */
  private play(now: number): void {
    for (let sent = 0; ; sent++) {
      if (this.lap === 0 && this.cursor >= this.limit) return;
      const event = this.pending ?? this.queue.next();
      if (event === undefined) {
        if (!this.queue.ended) return this.waitForQueue();
        if (!this.endLap()) return;
        continue;
      }
      this.pending = event;
      const due = this.dueWallMs(event);
      if (due > now) return this.schedule(due - now);
      if (sent >= CHUNK) return this.schedule(0);
      this.pending = undefined;
      this.cursor++; this.total++;
      // Spans only shift later laps: a feed played once is not measured (its payloads need not be built).
      if (this.lap === 0 && this.loop) this.measure(event);
      if (!this.deliver(event, this.lap)) return this.schedule(2);
    }
  }

  /** The reader has not caught up: play on when it has. */
  private waitForQueue(): void {
    this.waiting = true;
    void this.queue.ready().then(() => { this.waiting = false; this.schedule(0); });
  }

  /** Ends a lap: true to play the next one (looping), false when the feed is done. */
  private endLap(): boolean {
    if (this.queue.error !== undefined) { this.stopped = true; this.rejectFinished(this.queue.error); return false; }
    if (this.lap === 0) this.freezeSpans();
    if (!this.loop || this.cursor === 0) { this.resolveFinished(); return false; }
    this.lap++; this.cursor = 0;
    this.queue.rewind();
    return true;
  }

  private measure(event: FeedEvent): void {
    const spans = this.spans;
    if (Number.isNaN(this.t0)) this.t0 = event.timeMs;
    if (event.timeMs > spans.lastMs) spans.lastMs = event.timeMs;
    const d = event.data;
    if (Array.isArray(d)) return;
    const agg = d.a;
    if (typeof agg === 'number' && agg >= 0) { if (agg < spans.aggMin) spans.aggMin = agg; if (agg > spans.aggMax) spans.aggMax = agg; }
    this.measureTrade(d.t); this.measureTrade(d.f); this.measureTrade(d.l);
  }

  private measureTrade(value: unknown): void {
    if (typeof value !== 'number' || value < 0) return;
    const spans = this.spans;
    if (value < spans.tradeMin) spans.tradeMin = value;
    if (value > spans.tradeMax) spans.tradeMax = value;
  }

  private freezeSpans(): void {
    const s = this.spans;
    this.lapLength = this.cursor;
    this.lapSpanMs = Math.max(1, Math.ceil((Number.isNaN(this.t0) ? 0 : s.lastMs - this.t0) + 1));
    this.lapAggIdSpan = s.aggMax >= s.aggMin ? s.aggMax - s.aggMin + 1 : 0;
    this.lapTradeIdSpan = s.tradeMax >= s.tradeMin ? s.tradeMax - s.tradeMin + 1 : 0;
  }
}
