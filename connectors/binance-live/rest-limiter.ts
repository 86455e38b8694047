/**
 * The one REST gate of the live connector: every REST call (snapshots, repair) asks it for request weight.
 * It keeps a per-minute weight budget (Binance counts weight per calendar minute per IP), follows the
 * server's own count (`X-MBX-USED-WEIGHT-1M`), and after a 429/418 stops every call until `Retry-After`
 * has passed. Waiting uses an injectable clock and sleep, so tests run without real time.
 */
import { sleep as realSleep } from '../plumbing/backoff.js';

/** Options of {@link RestLimiter}. */
export interface RestLimiterOptions {
  /** Weight budget per minute; keep below the exchange's limit (spot 6000, USD-M 2400). @default 1200 */
  readonly weightPerMinute?: number;
  /** Wall clock, ms. @default Date.now */
  readonly now?: () => number;
  /** Waits `ms` (rejects when the signal aborts). @default connectors/plumbing/backoff.ts `sleep` */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** What the limiter did, for progress and reports. */
export interface RestLimiterStats {
  calls: number;
  weight: number;
  /** Total time calls waited for budget or a Retry-After, ms. */
  waitedMs: number;
  /** 429/418 answers seen. */
  rateLimited: number;
  /** Of those, 418 answers (the IP is banned for a while). */
  banned: number;
  /** The longest single pause ordered by a Retry-After, ms. */
  longestPauseMs: number;
}

const MINUTE_MS = 60_000;

/**
 * Longest pause a Retry-After orders, ms. Binance bans (418) can last days; no process should sleep that long
 * (and a timer above 2^31−1 ms fires at once in Node, which would spin): calls fail instead once their attempts
 * are spent.
 */
export const MAX_PAUSE_MS = 5 * MINUTE_MS;

/** A per-minute request-weight budget with Retry-After pauses, shared by all REST calls of a process. */
export class RestLimiter {
  readonly stats: RestLimiterStats = { calls: 0, weight: 0, waitedMs: 0, rateLimited: 0, banned: 0, longestPauseMs: 0 };
  private readonly budget: number;
  private readonly now: () => number;
  private readonly sleepFn: (ms: number, signal?: AbortSignal) => Promise<void>;
  private windowStartMs = 0;
  private usedWeight = 0;
  private pausedUntilMs = 0;

  constructor(options: RestLimiterOptions = {}) {
    this.budget = options.weightPerMinute ?? 1200;
    this.now = options.now ?? Date.now;
    this.sleepFn = options.sleep ?? realSleep;
  }

  /** The instant (ms) before which no call may start, after a 429/418; 0 when not paused. */
  get pausedUntil(): number { return this.pausedUntilMs; }

  /** Waits until `weight` fits in the budget and no Retry-After pause is running, then books it. */
  async acquire(weight: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.now();
      this.roll(now);
      const waitMs = now < this.pausedUntilMs
        ? this.pausedUntilMs - now
        : this.usedWeight + weight > this.budget && this.usedWeight > 0 ? this.windowStartMs + MINUTE_MS - now : 0;
      if (waitMs <= 0) break;
      this.stats.waitedMs += waitMs;
      await this.sleepFn(waitMs, signal);
    }
    this.usedWeight += weight;
    this.stats.calls++;
    this.stats.weight += weight;
  }

  /** Stops every call for `retryAfterMs` (a 429 or 418 answer, `status`), at most {@link MAX_PAUSE_MS}. */
  pause(retryAfterMs: number, status?: number): void {
    retryAfterMs = Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? Math.min(retryAfterMs, MAX_PAUSE_MS) : 0;
    this.stats.rateLimited++;
    if (status === 418) this.stats.banned++;
    this.stats.longestPauseMs = Math.max(this.stats.longestPauseMs, retryAfterMs);
    this.pausedUntilMs = Math.max(this.pausedUntilMs, this.now() + retryAfterMs);
  }

  /** Adopts the server's count of used weight in the current minute (`X-MBX-USED-WEIGHT-1M`). */
  observeUsedWeight(usedWeight: number): void {
    this.roll(this.now());
    if (Number.isFinite(usedWeight) && usedWeight > this.usedWeight) this.usedWeight = usedWeight;
  }

  /** Waits `ms` on the limiter's clock (used between retries). */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    this.stats.waitedMs += ms;
    return this.sleepFn(ms, signal);
  }

  private roll(now: number): void {
    const windowStart = now - (now % MINUTE_MS);
    if (windowStart !== this.windowStartMs) {
      this.windowStartMs = windowStart;
      this.usedWeight = 0;
    }
  }
}
