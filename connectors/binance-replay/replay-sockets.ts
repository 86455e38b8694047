/**
 * The WebSocket side of the replay server: the open connections and their subscriptions, Binance's
 * control messages (SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS), delivery of played events (combined
 * `{stream,data}` or raw frames, USD-M routing), and the socket faults (drop, shutdown, stall, malformed
 * frame, withheld events). Timers it starts are cleared by `close()`.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { LiveMarket } from '../binance-live/live-context.js';
import type { ReplayFaults } from './replay-faults.js';
import type { FeedEvent, Payload } from './replay-feed.js';
import type { ReplayPlayer } from './replay-player.js';
import { FrameBatch } from './frame-batch.js';
import { allMarketStream, canonicalStream, routeAllows, symbolStreamOf, type WsRoute } from './replay-routes.js';

interface Connection {
  readonly ws: WebSocket; readonly socket: Duplex | undefined; readonly route: WsRoute; readonly streams: Map<string, string>; stalled: boolean; malformed: number;
  /** Frames of the current batch, written at its end in one socket write (see frame-batch.ts). */
  readonly frames: FrameBatch | undefined;
}

/** Counters of a replay server. */
export interface ReplayStats { connections: number; framesSent: number; eventsPlayed: number; restCalls: number }

/** Open sockets of one replay server. */
export class ReplaySockets {
  private readonly connections = new Set<Connection>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters: { streams: string[]; resolve: () => void }[] = [];
  /** Set once the player exists (the player and the sockets call each other). */
  player!: ReplayPlayer;

  constructor(
    private readonly market: LiveMarket, private readonly faults: ReplayFaults, private readonly stats: ReplayStats,
    private readonly autoPlay: boolean,
  ) {}

  /** Registers a new socket on `route`; `socket` is its TCP socket (corked while a batch of frames is sent). */
  add(ws: WebSocket, route: WsRoute, socket?: Duplex): void {
    const frames = socket === undefined ? undefined : new FrameBatch(socket);
    const c: Connection = { ws, socket, route, streams: new Map(route.streams.map((s) => [canonicalStream(s), s])), stalled: false, malformed: 0, frames };
    this.connections.add(c);
    this.stats.connections++;
    ws.on('message', (data) => { if (!c.stalled) this.onMessage(c, data.toString()); });
    ws.on('ping', (payload) => { if (!c.stalled) ws.pong(payload); });
    ws.on('close', () => { this.connections.delete(c); });
    ws.on('error', () => { this.connections.delete(c); });
    this.checkWaiters();
  }

  /** Resolves once every stream in `streams` has a subscriber. */
  waitForSubscribers(streams: readonly string[]): Promise<void> {
    return new Promise((resolve) => { this.waiters.push({ streams: [...streams], resolve }); this.checkWaiters(); });
  }

  /** Pings every socket that is not stalled. */
  ping(): void { for (const c of this.connections) if (!c.stalled) c.ws.ping(); }

  /** Terminates every socket and clears timers. */
  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    for (const c of this.connections) c.ws.terminate();
  }

  private subscribed(stream: string): boolean {
    for (const c of this.connections) if (c.streams.has(canonicalStream(stream))) return true;
    return false;
  }

  private checkWaiters(): void {
    for (const w of [...this.waiters]) if (w.streams.every((s) => this.subscribed(s))) { this.waiters.splice(this.waiters.indexOf(w), 1); w.resolve(); }
    if (this.autoPlay && [...this.connections].some((c) => c.streams.size > 0)) this.player.start();
  }

  /**
   * Starts a batch of frames: pending faults first. The frames of one batch leave each socket in one write
   * instead of one syscall each (per-frame writes and wake-ups cost more CPU, on both ends, than everything
   * else). Binance's own frames reach a client coalesced by the network too.
   */
  beginBatch(): void {
    this.applyFaults();
  }

  /** Ends a batch: the frames it sent go out. */
  endBatch(): void {
    for (const c of this.connections) c.frames?.flush();
  }

  /** Applies pending socket faults (called by the player before each batch and on demand). */
  applyFaults(): void {
    const faults = this.faults;
    for (; faults.dropRequests > 0; faults.dropRequests--) {
      faults.injected.drops++;
      for (const c of this.connections) c.ws.terminate();
      // Gone now, not at their 'close' event: waitForSubscribers() after a drop waits for the reconnect.
      this.connections.clear();
    }
    for (const graceMs of faults.shutdownGraceMs.splice(0)) {
      faults.injected.shutdowns++;
      for (const c of this.connections) {
        const notice = { e: 'serverShutdown', E: Date.now() };
        c.ws.send(JSON.stringify(c.route.combined ? { stream: '!serverShutdown', data: notice } : notice));
        const timer = setTimeout(() => { this.timers.delete(timer); c.ws.close(1001, 'server shutdown'); }, graceMs);
        this.timers.add(timer);
      }
    }
    for (; faults.stallRequests > 0; faults.stallRequests--) { faults.injected.stalls++; for (const c of this.connections) c.stalled = true; }
    for (; faults.malformedRequests > 0; faults.malformedRequests--) for (const c of this.connections) c.malformed++;
  }

  /**
   * Sends a played event to its subscribers; false when a socket is congested (the player waits). An event of
   * an all-market stream (`!forceOrder@arr`, `!markPrice@arr`, `!bookTicker`) also reaches the per-symbol
   * stream of each of its elements, as on Binance.
   */
  deliver(event: FeedEvent, lap: number): boolean {
    this.stats.eventsPlayed++;
    // A streamed archive event knows its type and JSON: its payload is not built unless a lap shifts it.
    const type = event.type ?? (Array.isArray(event.data) ? undefined : event.data.e);
    if (this.withheld(event, type)) return true;
    let congested = this.send(event.stream, allMarketStream(type), event, lap, event.raw);
    if (event.stream.startsWith('!')) {
      const data = event.data;
      for (const item of Array.isArray(data) ? data : [data]) {
        const own = symbolStreamOf(item);
        if (own !== null && this.send(own, null, { data: item }, lap)) congested = true;
      }
    }
    return !congested;
  }

  /** Sends the payload of `of` to every connection subscribed to `stream` (or to `alias`); true when a socket is congested. */
  private send(stream: string, alias: string | null, of: { readonly data: Payload | Payload[] }, lap: number, json?: string): boolean {
    const canonical = canonicalStream(stream);
    let raw: string | undefined;
    // The combined frame is written once per stream name, not once per subscriber.
    let combinedName: string | undefined;
    let combined = '';
    let congested = false;
    for (const c of this.connections) {
      if (c.stalled) continue;
      const name = c.streams.get(canonical) ?? (alias === null ? undefined : c.streams.get(alias));
      if (name === undefined || !routeAllows(c.route, this.market, stream)) continue;
      if (c.malformed > 0) { c.malformed--; this.faults.injected.malformed++; this.write(c, `{"stream":"${name}","data":{"e":`); }
      raw ??= lap === 0 ? json ?? JSON.stringify(of.data) : shiftedJson(of.data, lap, this.player);
      if (c.route.combined && combinedName !== name) { combinedName = name; combined = `{"stream":"${name}","data":${raw}}`; }
      this.write(c, c.route.combined ? combined : raw);
      this.stats.framesSent++;
      if ((c.frames === undefined ? c.ws.bufferedAmount : c.frames.backlog) > 8 << 20) congested = true;
    }
    return congested;
  }

  private write(c: Connection, text: string): void {
    if (c.frames !== undefined) c.frames.add(text); else c.ws.send(text);
  }

  private withheld(event: FeedEvent, type: unknown): boolean {
    const faults = this.faults;
    if (faults.holeCount <= 0) return false;
    const hit = faults.holeStream === null ? type === 'trade' || type === 'aggTrade' : canonicalStream(faults.holeStream) === canonicalStream(event.stream);
    if (!hit) return false;
    faults.holeCount--;
    faults.injected.holeEvents++;
    return true;
  }

  private onMessage(c: Connection, text: string): void {
    let message: { method?: unknown; params?: unknown; id?: unknown };
    try { message = JSON.parse(text); } catch { c.ws.send(JSON.stringify({ code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' })); return; }
    const id = message.id ?? null;
    const params = Array.isArray(message.params) ? message.params.map(String) : [];
    if (message.method === 'SUBSCRIBE') for (const s of params) c.streams.set(canonicalStream(s), s);
    else if (message.method === 'UNSUBSCRIBE') for (const s of params) c.streams.delete(canonicalStream(s));
    else if (message.method === 'LIST_SUBSCRIPTIONS') { c.ws.send(JSON.stringify({ result: [...c.streams.values()], id })); return; }
    else { c.ws.send(JSON.stringify({ code: 2, msg: `Invalid request: unknown method ${String(message.method)}`, id })); return; }
    if (!c.stalled) c.ws.send(JSON.stringify({ result: null, id }));
    this.checkWaiters();
  }
}

/**
 * The JSON of a payload moved forward by `lap` laps of the feed (times by the lap's span, aggregate and
 * trade ids by theirs), for looping playback. aggTrade payloads, the bulk of a benchmark feed, are written
 * directly; others go through a shifted copy.
 */
function shiftedJson(data: Payload | Payload[], lap: number, player: ReplayPlayer): string {
  if (Array.isArray(data)) return JSON.stringify(data);
  const dt = lap * player.lapSpanMs;
  const da = lap * player.lapAggIdSpan;
  const dtr = lap * player.lapTradeIdSpan;
  const n = (key: string, delta: number): number => (data[key] as number) + delta;
  if (data.e === 'aggTrade' && typeof data.f === 'number') {
    const best = data.M === undefined ? '' : `,"M":${String(data.M)}`;
    return `{"e":"aggTrade","E":${n('E', dt)},"s":${JSON.stringify(data.s)},"a":${n('a', da)},"p":${JSON.stringify(data.p)},"q":${JSON.stringify(data.q)},"f":${n('f', dtr)},"l":${n('l', dtr)},"T":${n('T', dt)},"m":${String(data.m)}${best}}`;
  }
  const out: Payload = { ...data };
  for (const [key, delta] of [['E', dt], ['T', dt], ['a', da], ['t', dtr], ['f', dtr], ['l', dtr]] as const) {
    if (typeof out[key] === 'number') out[key] = (out[key] as number) + delta;
  }
  return JSON.stringify(out);
}
