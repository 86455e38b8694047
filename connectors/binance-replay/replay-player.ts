/**
 * The replay clock: plays feed events at `speed` × their recorded pace (Infinity = as fast as possible, in
 * chunks that yield to the event loop so faults and client traffic interleave), or at an even `rate` of
 * events per second whatever their recorded times (a load test's constant push), pausing while the sockets
 * are congested. Timers are cleared by `stop()`.
 */
import { performance } from 'node:perf_hooks';
import type { FeedEvent, Payload } from './replay-feed.js';

const CHUNK = 256;

/** Plays events through `deliver` (returns false when the sockets are congested). */
export class ReplayPlayer {
  /** Events played in the current lap. */
  private cursor = 0;
  private lap = 0;
  private startWallMs = 0;
  private started = false;
  private stopped = false;
  /** Events of the first lap played before pausing (see {@link pauseAt}). */
  private limit = Infinity;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private resolveFinished!: () => void;
  /** Resolves when the last event was played (never with `loop`). */
  readonly finished = new Promise<void>((resolve) => { this.resolveFinished = resolve; });
  /** Time span of one lap, ms (looping shifts times by this per lap). */
  readonly lapSpanMs: number;
  /** Aggregate-trade id span of one lap (looping shifts `a` by this per lap). */
  readonly lapAggIdSpan: number;
  /** Trade id span of one lap (looping shifts `t`, `f`, `l` by this per lap). */
  readonly lapTradeIdSpan: number;
  private readonly t0: number;
  private readonly speed: number;
  private readonly rate: number | undefined;

  /**
   * `pace` is a speed factor (a number: 1 = real time, Infinity = as fast as possible) or `{ rate }`: that
   * many events per second, evenly spaced (event n of the run is due n / rate s after the start).
   */
  constructor(
    private readonly events: readonly FeedEvent[], pace: number | { readonly rate: number }, private readonly loop: boolean,
    private readonly deliver: (event: FeedEvent, lap: number) => boolean, private readonly beforeBatch: () => void,
    private readonly afterBatch: () => void = () => undefined,
  ) {
    this.speed = typeof pace === 'number' ? pace : Infinity;
    this.rate = typeof pace === 'number' ? undefined : pace.rate;
    this.t0 = events[0]?.timeMs ?? 0;
    this.lapSpanMs = Math.max(1, Math.ceil((events.at(-1)?.timeMs ?? 0) - this.t0 + 1));
    this.lapAggIdSpan = idSpan(events, ['a']);
    this.lapTradeIdSpan = idSpan(events, ['t', 'f', 'l']);
  }

  /** Events visible to REST: everything played so far. */
  get playedCount(): number { return this.lap > 0 ? this.events.length : this.cursor; }

  /** Starts the clock (idempotent). */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.startWallMs = performance.now();
    if (this.events.length === 0) this.resolveFinished();
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

  /** Stops playing and clears timers. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined; this.immediate = undefined;
    if (delayMs <= 0) this.immediate = setImmediate(() => this.pump());
    else this.timer = setTimeout(() => this.pump(), delayMs);
  }

  private dueWallMs(event: FeedEvent): number {
    if (this.rate !== undefined) return this.startWallMs + ((this.lap * this.events.length + this.cursor) * 1000) / this.rate;
    if (!Number.isFinite(this.speed)) return 0;
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
      if (this.cursor >= this.events.length) {
        if (!this.loop) { this.resolveFinished(); return; }
        this.lap++; this.cursor = 0;
      }
      if (this.lap === 0 && this.cursor >= this.limit) return;
      const event = this.events[this.cursor];
      const due = this.dueWallMs(event);
      if (due > now) return this.schedule(due - now);
      if (sent >= CHUNK) return this.schedule(0);
      this.cursor++;
      if (!this.deliver(event, this.lap)) return this.schedule(2);
    }
  }
}

function idSpan(events: readonly FeedEvent[], keys: readonly string[]): number {
  let min = Infinity; let max = -Infinity;
  for (const e of events) {
    const d = e.data as Payload;
    for (const key of keys) if (typeof d[key] === 'number' && (d[key] as number) >= 0) { min = Math.min(min, d[key] as number); max = Math.max(max, d[key] as number); }
  }
  return max >= min ? max - min + 1 : 0;
}
