/**
 * A Binance-compatible local server (WebSocket + REST on 127.0.0.1) that plays a {@link ReplayFeed} at a
 * speed factor (1 = real time, N = N× faster, Infinity = as fast as the sockets take it), answers
 * SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS like Binance (`{"result":null,"id":n}`), and injects faults
 * on demand ({@link ReplayFaults}). One server plays one market. The clock starts at the first subscription
 * (or at `play()` when `autoPlay` is false); the feed is global, like the exchange's: a socket that joins
 * late misses what was already played, and REST shows everything played so far.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { ReplayFaults } from './replay-faults.js';
import type { FeedEvent, Payload, ReplayFeed } from './replay-feed.js';
import { ReplayRest } from './replay-rest.js';
import { allMarketStream, canonicalStream, parseWsRoute, routeAllows, type WsRoute } from './replay-routes.js';
import { ReplayPlayer } from './replay-player.js';

/** Options of {@link startReplayServer}. */
export interface ReplayServerOptions {
  readonly feed: ReplayFeed;
  /** Speed factor: 1 = real time, 10 = ten times faster, Infinity = as fast as possible. @default 1 */
  readonly speed?: number;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Start playing at the first subscription; when false, wait for `play()`. @default true */
  readonly autoPlay?: boolean;
  /** Play the feed again and again (ids and times shifted per lap), e.g. for benchmarks. @default false */
  readonly loop?: boolean;
  /** Server-initiated WebSocket pings (Binance spot: 20 s); 0 = none. @default 0 */
  readonly pingIntervalMs?: number;
  /**
   * REST depth = the captured snapshot plus every diff played since, like the exchange's book "now" (a
   * resync after a break gets a usable snapshot). False serves the captured snapshot as is: a client
   * listening from the start then syncs from it and keeps every diff (replaying a capture into sinks).
   * @default true
   */
  readonly freshSnapshots?: boolean;
}

interface Connection { readonly ws: WebSocket; readonly route: WsRoute; readonly streams: Map<string, string>; stalled: boolean; malformed: number }

/** A running replay server. */
export interface ReplayServer {
  readonly port: number;
  /** `ws://127.0.0.1:<port>` — append a route (`/ws`, `/stream?streams=…`, `/market/ws`, …). */
  readonly wsUrl: string;
  /** `http://127.0.0.1:<port>` — REST base (`/api/v3/…`, `/fapi/v1/…`, `/dapi/v1/…`). */
  readonly restUrl: string;
  readonly faults: ReplayFaults;
  readonly stats: { connections: number; framesSent: number; eventsPlayed: number; restCalls: number };
  /** Starts the clock (when `autoPlay` is false). */
  play(): void;
  /** Resolves once every stream in `streams` has a subscriber. */
  waitForSubscribers(streams: readonly string[]): Promise<void>;
  /** Resolves when the feed has been played to the end (never, with `loop`). */
  readonly finished: Promise<void>;
  /** Closes every socket and timer, then the listener. Safe to call twice. */
  close(): Promise<void>;
}

/** Starts a replay server; resolves once it listens. */
export async function startReplayServer(options: ReplayServerOptions): Promise<ReplayServer> {
  const connections = new Set<Connection>();
  const shutdownTimers = new Set<NodeJS.Timeout>();
  const stats = { connections: 0, framesSent: 0, eventsPlayed: 0, restCalls: 0 };
  const rest = new ReplayRest(options.feed, options.freshSnapshots ?? true);
  const waiters: { streams: string[]; resolve: () => void }[] = [];
  const player = new ReplayPlayer(options.feed.events, options.speed ?? 1, options.loop ?? false, (event, lap) => deliver(event, lap), () => applyFaults());
  const faults = new ReplayFaults(() => player.wake());
  const http: Server = createServer((req, res) => handleHttp(req, res));
  const wss = new WebSocketServer({ noServer: true, autoPong: false });

  function subscribed(stream: string): boolean {
    for (const c of connections) if (c.streams.has(canonicalStream(stream))) return true;
    return false;
  }
  function checkWaiters(): void {
    for (const w of [...waiters]) if (w.streams.every(subscribed)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
    if ((options.autoPlay ?? true) && [...connections].some((c) => c.streams.size > 0)) player.start();
  }
  function applyFaults(): void {
    for (; faults.dropRequests > 0; faults.dropRequests--) { faults.injected.drops++; for (const c of connections) c.ws.terminate(); }
    for (const graceMs of faults.shutdownGraceMs.splice(0)) {
      faults.injected.shutdowns++;
      for (const c of connections) {
        const notice = { e: 'serverShutdown', E: Date.now() };
        c.ws.send(JSON.stringify(c.route.combined ? { stream: '!serverShutdown', data: notice } : notice));
        const timer = setTimeout(() => { shutdownTimers.delete(timer); c.ws.close(1001, 'server shutdown'); }, graceMs);
        shutdownTimers.add(timer);
      }
    }
    for (; faults.stallRequests > 0; faults.stallRequests--) { faults.injected.stalls++; for (const c of connections) c.stalled = true; }
    for (; faults.malformedRequests > 0; faults.malformedRequests--) for (const c of connections) c.malformed++;
  }
  function deliver(event: FeedEvent, lap: number): boolean {
    stats.eventsPlayed++;
    const data = event.data;
    const type = Array.isArray(data) ? undefined : data.e;
    if (faults.holeCount > 0 && (faults.holeStream === null ? type === 'trade' || type === 'aggTrade' : canonicalStream(faults.holeStream) === canonicalStream(event.stream))) {
      faults.holeCount--; faults.injected.holeEvents++;
      return true;
    }
    const canonical = canonicalStream(event.stream);
    const alias = allMarketStream(type);
    let raw: string | undefined;
    let congested = false;
    for (const c of connections) {
      if (c.stalled) continue;
      const name = c.streams.get(canonical) ?? (alias === null ? undefined : c.streams.get(alias));
      if (name === undefined || !routeAllows(c.route, options.feed.market, event.stream)) continue;
      if (c.malformed > 0) { c.malformed--; faults.injected.malformed++; c.ws.send(`{"stream":"${name}","data":{"e":`); }
      raw ??= lap === 0 ? JSON.stringify(data) : shiftedJson(data, lap, player);
      c.ws.send(c.route.combined ? `{"stream":"${name}","data":${raw}}` : raw);
      stats.framesSent++;
      if (c.ws.bufferedAmount > 8 << 20) congested = true;
    }
    return !congested;
  }
  function onMessage(c: Connection, text: string): void {
    let message: { method?: unknown; params?: unknown; id?: unknown };
    try { message = JSON.parse(text); } catch { c.ws.send(JSON.stringify({ code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' })); return; }
    const id = message.id ?? null;
    const params = Array.isArray(message.params) ? message.params.map(String) : [];
    if (message.method === 'SUBSCRIBE') for (const s of params) c.streams.set(canonicalStream(s), s);
    else if (message.method === 'UNSUBSCRIBE') for (const s of params) c.streams.delete(canonicalStream(s));
    else if (message.method === 'LIST_SUBSCRIPTIONS') { c.ws.send(JSON.stringify({ result: [...c.streams.values()], id })); return; }
    else { c.ws.send(JSON.stringify({ code: 2, msg: `Invalid request: unknown method ${String(message.method)}`, id })); return; }
    if (!c.stalled) c.ws.send(JSON.stringify({ result: null, id }));
    checkWaiters();
  }
  function handleHttp(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://replay');
    const control = /^\/_control\/(\w+)$/.exec(url.pathname);
    if (control !== null) {
      const name = control[1];
      const ok = name === 'play' ? (player.start(), true) : name === 'stats' ? true : faults.apply(name, url.searchParams);
      res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify({ ok, stats, injected: faults.injected }));
      return;
    }
    stats.restCalls++;
    if (faults.rateLimitCount > 0) {
      faults.rateLimitCount--; faults.injected.rateLimited++;
      res.writeHead(faults.rateLimitStatus, { 'content-type': 'application/json', 'retry-after': String(faults.retryAfterS) })
        .end(JSON.stringify({ code: -1003, msg: 'Too many requests; replay server fault injection.' }));
      return;
    }
    const answer = rest.answer(url.pathname, url.searchParams, player.playedCount);
    res.writeHead(answer.status, { 'content-type': 'application/json', 'x-mbx-used-weight-1m': String(stats.restCalls) }).end(answer.body);
  }

  wss.on('connection', (ws: WebSocket, route: WsRoute) => {
    const c: Connection = { ws, route, streams: new Map(route.streams.map((s) => [canonicalStream(s), s])), stalled: false, malformed: 0 };
    connections.add(c);
    stats.connections++;
    ws.on('message', (data) => { if (!c.stalled) onMessage(c, data.toString()); });
    ws.on('ping', (payload) => { if (!c.stalled) ws.pong(payload); });
    ws.on('close', () => { connections.delete(c); });
    ws.on('error', () => { connections.delete(c); });
    checkWaiters();
  });
  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://replay');
    const route = parseWsRoute(url.pathname, url.searchParams);
    if (route === null) { socket.end('HTTP/1.1 404 Not Found\r\n\r\n'); return; }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, route));
  });
  const pingTimer = (options.pingIntervalMs ?? 0) > 0
    ? setInterval(() => { for (const c of connections) if (!c.stalled) c.ws.ping(); }, options.pingIntervalMs)
    : undefined;

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    port, wsUrl: `ws://127.0.0.1:${port}`, restUrl: `http://127.0.0.1:${port}`, faults, stats,
    play: () => player.start(),
    waitForSubscribers: (streams) => new Promise((resolve) => { waiters.push({ streams: [...streams], resolve }); checkWaiters(); }),
    finished: player.finished,
    close() {
      closing ??= (async () => {
        player.stop();
        if (pingTimer !== undefined) clearInterval(pingTimer);
        for (const timer of shutdownTimers) clearTimeout(timer);
        for (const c of connections) c.ws.terminate();
        wss.close();
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
      })();
      return closing;
    },
  };
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
