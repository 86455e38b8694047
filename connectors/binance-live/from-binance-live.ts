/**
 * `fromBinanceLive(options)`: a cold Observable of live Binance records (trades, aggTrades, klines,
 * bookTickers, book snapshots and diffs, mark prices, live funding rates, liquidations), with holes reported
 * in-band as `gap` records and dead letters for undecodable frames. Nothing happens until subscribed;
 * unsubscribing closes every socket, timer and pending REST call.
 *
 * Never silent: sockets ping and are replaced when stalled; a disconnect emits a `gap` (state `open`) per
 * stream, reconnects with exponential backoff and jitter (connectors/plumbing/backoff.ts), then repairs over REST —
 * trades and aggTrades from the last seen id, klines by time — and re-emits the gap as `filled` (or
 * `partial`/`unfillable`). An id hole inside a live stream (cause `sequence_break`) is repaired the same
 * way. Depth streams resync from a new snapshot (book-sync.ts). Sockets are rolled before Binance's 24 h
 * cut: a new connection opens, and the old one closes once the new one delivers; the overlap is deduplicated
 * per stream (stream-tracker.ts). A `serverShutdown` notice triggers the same roll at once. With a `flow`
 * gate, every socket stops reading while the gate is paused (the owner's sinks are behind): memory stays
 * bounded and TCP holds the server back; a server that drops the paused connection is a disconnect as above.
 */
import { Observable, type Subscriber } from 'rxjs';
import type { AnyRecord } from '../../schemas/records.js';
import { backoffDelayMs } from '../plumbing/backoff.js';
import { LiveRouter } from './live-router.js';
import type { FlowGate } from '../plumbing/flow-gate.js';
import { LiveSocket } from './live-socket.js';
import { DEFAULT_WS_URLS, liveStream, planConnections, type LiveConnectionPlan, type LiveStreamType } from './live-streams.js';
import type { LiveMarket } from './live-context.js';
import { BinanceRest } from './rest-client.js';
import { RestLimiter } from './rest-limiter.js';
import { newLiveStats, type LiveStats } from './live-stats.js';

export { newLiveStats, type LiveStats } from './live-stats.js';

/** Options of {@link fromBinanceLive}. */
export interface BinanceLiveOptions {
  readonly market: LiveMarket;
  readonly symbols: readonly string[];
  readonly types: readonly LiveStreamType[];
  /** WebSocket base (scheme, host, port), e.g. a replay server's `ws://127.0.0.1:PORT`. @default production */
  readonly wsUrl?: string;
  /** REST base, e.g. `http://127.0.0.1:PORT`. @default production */
  readonly restUrl?: string;
  /** The process-wide REST limiter. @default a new one (1200 weight/min) */
  readonly limiter?: RestLimiter;
  /** Client ping period. @default 30000 */
  readonly pingIntervalMs?: number;
  /** No frame and no pong for this long = stalled, reconnect. @default 90000 */
  readonly stallTimeoutMs?: number;
  /** Proactive roll age, before Binance's 24 h cut. @default 85800000 (23 h 50 min) */
  readonly maxConnectionAgeMs?: number;
  /** Longest overlap of a roll if the new socket stays silent. @default 10000 */
  readonly rollOverlapMs?: number;
  /** Reconnect backoff base and ceiling. @default 250 / 30000 */
  readonly reconnectBaseDelayMs?: number;
  readonly reconnectMaxDelayMs?: number;
  /** Repair holes over REST. @default true */
  readonly repair?: boolean;
  /** REST depth snapshot size. @default 1000 */
  readonly depthLimit?: number;
  /** Clock, ms (fractional allowed). @default Date.now */
  readonly now?: () => number;
  readonly random?: () => number;
  /** Filled in place while running. */
  readonly stats?: LiveStats;
  /** API key sent with REST calls (only needed where Binance requires one, e.g. futures historicalTrades). */
  readonly apiKey?: string;
  /** While paused, every socket stops reading (back-pressure from slow sinks, see connectors/plumbing/flow-gate.ts). */
  readonly flow?: FlowGate;
  /** Largest WebSocket frame accepted; a larger one closes the socket (gap, reconnect). @default 4 MiB */
  readonly maxFrameBytes?: number;
  /** Largest REST body read; a larger one fails the call (not retried). @default 16 MiB */
  readonly maxRestBodyBytes?: number;
  /**
   * Ends the stream from within when aborted: the sockets close, REST calls stop, the live records held behind
   * an unfinished repair are emitted (its gap stays `open`, for a later fill), then the Observable completes.
   * Unsubscribing instead drops what is held.
   */
  readonly stop?: AbortSignal;
  /** Told of every connection change and retry, with its reason (for logs; it must not throw). */
  readonly onConnection?: (event: LiveConnectionEvent) => void;
}

/**
 * A connection change of the live client: a socket opened, a socket was lost (`reason`, the reconnect's
 * `attempt` and delay), or a REST call failed and is retried (`reason`: the error).
 */
export type LiveConnectionEvent =
  | { readonly event: 'connected'; readonly url: string }
  | { readonly event: 'disconnected'; readonly url: string; readonly reason: string; readonly attempt: number; readonly retryInMs: number }
  | { readonly event: 'restRetry'; readonly url: string; readonly attempt: number; readonly reason: unknown };

/** A cold Observable of live records of `options.types` × `options.symbols` on `options.market`. */
export function fromBinanceLive(options: BinanceLiveOptions): Observable<AnyRecord> {
  return new Observable<AnyRecord>((subscriber) => {
    const run = new LiveRun(options, subscriber);
    run.start();
    return () => run.stop();
  });
}

interface Group { readonly plan: LiveConnectionPlan; socket: LiveSocket | null; rolling: LiveSocket | null; attempt: number; timers: Set<NodeJS.Timeout> }

class LiveRun {
  private readonly now: () => number;
  private readonly abort = new AbortController();
  private readonly groups: Group[];
  private readonly router: LiveRouter;
  private readonly stats: LiveStats;
  private stopped = false;
  private unflow: (() => void) | undefined;

  constructor(private readonly options: BinanceLiveOptions, private readonly subscriber: Subscriber<AnyRecord>) {
    this.now = options.now ?? Date.now;
    this.stats = options.stats ?? newLiveStats();
    const streams = options.symbols.flatMap((symbol) => options.types.map((type) => liveStream(type, symbol)));
    this.groups = planConnections(options.market, streams, options.wsUrl ?? DEFAULT_WS_URLS[options.market])
      .map((plan) => ({ plan, socket: null, rolling: null, attempt: 0, timers: new Set() }));
    const rest = new BinanceRest({ market: options.market, baseUrl: options.restUrl, limiter: options.limiter ?? new RestLimiter({ now: this.now }), now: this.now, apiKey: options.apiKey, maxBodyBytes: options.maxRestBodyBytes,
      onRetry: ({ url, attempt, error }) => options.onConnection?.({ event: 'restRetry', url, attempt, reason: error }) });
    const stats = this.stats;
    this.router = new LiveRouter({
      market: options.market, streams, rest, stats, signal: this.abort.signal, now: this.now,
      repair: options.repair ?? true, depthLimit: options.depthLimit ?? 1000,
      emit: (record) => { if (!this.stopped) { stats.records++; this.subscriber.next(record); } },
    });
  }

  start(): void {
    const stop = this.options.stop;
    if (stop?.aborted === true) { this.drain(); return; }
    stop?.addEventListener('abort', () => this.drain(), { once: true });
    this.unflow = this.options.flow?.onChange((paused) => {
      for (const group of this.groups) {
        for (const socket of [group.socket, group.rolling]) if (paused) socket?.pause(); else socket?.resume();
      }
    });
    for (const group of this.groups) this.connect(group);
  }

  /** The `stop` signal: no more input, the held records out, then complete. */
  private drain(): void {
    if (this.stopped) return;
    this.abort.abort(new Error('stopped'));
    for (const group of this.groups) { group.socket?.close(); group.rolling?.close(); }
    this.router.releaseAll();
    this.stop();
    this.subscriber.complete();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.unflow?.();
    this.abort.abort(new Error('unsubscribed'));
    for (const group of this.groups) {
      group.socket?.close(); group.rolling?.close();
      for (const timer of group.timers) clearTimeout(timer);
      group.timers.clear();
    }
  }

  private later(group: Group, delayMs: number, fn: () => void): void {
    const timer = setTimeout(() => { group.timers.delete(timer); if (!this.stopped) fn(); }, delayMs);
    group.timers.add(timer);
  }

  private open(group: Group, onOpen: (socket: LiveSocket) => void, onFirstFrame: (socket: LiveSocket) => void): LiveSocket {
    let seen = false;
    const socket: LiveSocket = new LiveSocket(group.plan.url, {
      onOpen: () => { this.stats.openSockets++; this.options.onConnection?.({ event: 'connected', url: group.plan.url }); onOpen(socket); },
      onEnded: () => { this.stats.openSockets--; },
      onFrame: (text, receiveMs) => {
        if (!seen) { seen = true; onFirstFrame(socket); }
        if (this.router.onFrame(text, receiveMs) && socket === group.socket) this.roll(group, socket);
      },
      onClose: (reason) => this.onSocketClosed(group, socket, reason),
    }, { pingIntervalMs: this.options.pingIntervalMs ?? 30_000, stallTimeoutMs: this.options.stallTimeoutMs ?? 90_000, maxFrameBytes: this.options.maxFrameBytes }, this.now);
    if (this.options.flow?.paused === true) socket.pause();
    return socket;
  }

  private connect(group: Group): void {
    group.socket = this.open(group, (socket) => {
      this.router.onConnected(group.plan.streams);
      this.scheduleRoll(group, socket);
    }, () => { group.attempt = 0; });
  }

  private onSocketClosed(group: Group, socket: LiveSocket, reason: string): void {
    if (this.stopped) return;
    if (socket === group.rolling) { group.rolling = null; return; }
    if (socket !== group.socket) return;
    if (group.rolling?.open === true) {
      group.socket = group.rolling; group.rolling = null;
      return;
    }
    group.socket = null;
    this.router.onDisconnected(group.plan.streams, reason);
    this.stats.reconnects++;
    group.attempt++;
    const delayMs = backoffDelayMs(group.attempt, { baseDelayMs: this.options.reconnectBaseDelayMs ?? 250, maxDelayMs: this.options.reconnectMaxDelayMs ?? 30_000, random: this.options.random });
    this.options.onConnection?.({ event: 'disconnected', url: group.plan.url, reason, attempt: group.attempt, retryInMs: delayMs });
    this.later(group, delayMs, () => this.connect(group));
  }

  private scheduleRoll(group: Group, socket: LiveSocket): void {
    this.later(group, this.options.maxConnectionAgeMs ?? 85_800_000, () => this.roll(group, socket));
  }

  /** Opens a replacement for `socket` (age limit, or a `serverShutdown` notice); the old one closes once it delivers. */
  private roll(group: Group, socket: LiveSocket): void {
    if (group.socket !== socket || group.rolling !== null) return;
    const promote = (next: LiveSocket): void => {
      if (group.rolling !== next || group.socket !== socket) return;
      group.rolling = null; group.socket = next;
      socket.close();
      this.stats.rolls++;
      this.scheduleRoll(group, next);
    };
    group.rolling = this.open(group, () => undefined, (next) => promote(next));
    const next = group.rolling;
    this.later(group, this.options.rollOverlapMs ?? 10_000, () => { if (next.open) promote(next); });
  }
}
