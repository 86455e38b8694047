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
import { WebSocketServer } from 'ws';
import { ConfigError } from '../../schemas/errors.js';
import { ReplayFaults } from './replay-faults.js';
import { ARCHIVE_CHUNK_EVENTS } from './archive-stream.js';
import type { FeedEvent, ReplayFeed } from './replay-feed.js';
import type { HistoryOptions } from './replay-history.js';
import { ReplayPlayer } from './replay-player.js';
import { StreamQueue } from './replay-queue.js';
import { ReplayRest, type RestAnswer } from './replay-rest.js';
import { parseWsRoute } from './replay-routes.js';
import { ReplaySockets, type ReplayStats } from './replay-sockets.js';

/** Options of {@link startReplayServer}. */
export interface ReplayServerOptions {
  readonly feed: ReplayFeed;
  /** Speed factor: 1 = real time, 10 = ten times faster, Infinity = as fast as possible. @default 1 */
  readonly speed?: number;
  /**
   * Events per second at an even pace instead of the recorded one (a constant load; `speed` is then
   * ignored). The recorded pace keeps the market's bursts: a day of aggTrades played at a 50,000/s mean
   * peaks at ~135,000/s over 100 ms.
   */
  readonly rate?: number;
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
  /** Events read ahead of the clock at most, for a streamed feed (`feed.source`; plus one chunk). @default 16384 */
  readonly lookAhead?: number;
  /** How much REST history of a streamed feed stays in memory (the rest is read again from the archive). */
  readonly history?: HistoryOptions;
}

/** A running replay server. */
export interface ReplayServer {
  readonly port: number;
  /** `ws://127.0.0.1:<port>` — append a route (`/ws`, `/stream?streams=…`, `/market/ws`, …). */
  readonly wsUrl: string;
  /** `http://127.0.0.1:<port>` — REST base (`/api/v3/…`, `/fapi/v1/…`, `/dapi/v1/…`). */
  readonly restUrl: string;
  readonly faults: ReplayFaults;
  readonly stats: ReplayStats;
  /**
   * Look-ahead of a streamed feed: events buffered now and at most so far, and the bound (`peak` never exceeds
   * `limit`); zeros for a feed held in memory. Also rows read again from the archive for REST history.
   */
  readonly reading: { readonly buffered: number; readonly peak: number; readonly limit: number; readonly rereadRows: number };
  /** Starts the clock (when `autoPlay` is false). */
  play(): void;
  /** Plays at most the first `count` feed events, then pauses until called again (Infinity = to the end). */
  pauseAt(count: number): void;
  /** Resolves once every stream in `streams` has a subscriber. */
  waitForSubscribers(streams: readonly string[]): Promise<void>;
  /** Resolves when the feed has been played to the end (never, with `loop`). */
  readonly finished: Promise<void>;
  /** Closes every socket and timer, then the listener. Safe to call twice. */
  close(): Promise<void>;
}

/** Events a streamed feed is read ahead of its clock by default. */
const DEFAULT_LOOK_AHEAD = 16_384;
/** The same at full speed (`speed` Infinity), at most: two chunks of the reader. */
const FULL_SPEED_LOOK_AHEAD = 2 * ARCHIVE_CHUNK_EVENTS;

/** Starts a replay server; resolves once it listens. */
export async function startReplayServer(options: ReplayServerOptions): Promise<ReplayServer> {
  if (options.rate !== undefined && !(Number.isFinite(options.rate) && options.rate > 0)) throw new ConfigError(`replay server: rate must be a positive number of events per second; got ${options.rate}`);
  const stats: ReplayStats = { connections: 0, framesSent: 0, eventsPlayed: 0, restCalls: 0 };
  const faults: ReplayFaults = new ReplayFaults(() => sockets.player.wake());
  const sockets = new ReplaySockets(options.feed.market, faults, stats, options.autoPlay ?? true);
  const rest = new ReplayRest(options.feed, options.freshSnapshots ?? true, options.history);
  const source = options.feed.source;
  // At full speed nothing waits for its time: a short look-ahead, so events die young (a long one outlived
  // V8's young generation and promoted each event, and the scavenges copying them were the server's largest cost).
  const fullSpeed = options.rate === undefined && (options.speed ?? 1) === Infinity;
  const lookAhead = Math.min(options.lookAhead ?? DEFAULT_LOOK_AHEAD, fullSpeed ? FULL_SPEED_LOOK_AHEAD : Infinity);
  const queue = source === undefined ? undefined : new StreamQueue(() => source.open(), lookAhead);
  const deliver = (event: FeedEvent, lap: number): boolean => {
    if (lap === 0) rest.played(event);
    return sockets.deliver(event, lap);
  };
  const player = new ReplayPlayer(queue ?? options.feed.events, options.rate !== undefined ? { rate: options.rate } : (options.speed ?? 1), options.loop ?? false, deliver, () => sockets.beginBatch(), () => sockets.endBatch());
  sockets.player = player;
  const http: Server = createServer((req, res) => handleHttp(req, res, { rest, faults, stats, player }));
  const wss = new WebSocketServer({ noServer: true, autoPong: false });
  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://replay');
    const route = parseWsRoute(url.pathname, url.searchParams);
    if (route === null) { socket.end('HTTP/1.1 404 Not Found\r\n\r\n'); return; }
    wss.handleUpgrade(req, socket, head, (ws) => sockets.add(ws, route, socket));
  });
  const pingTimer = (options.pingIntervalMs ?? 0) > 0 ? setInterval(() => sockets.ping(), options.pingIntervalMs) : undefined;
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    port, wsUrl: `ws://127.0.0.1:${port}`, restUrl: `http://127.0.0.1:${port}`, faults, stats,
    get reading() {
      return { buffered: queue?.buffered ?? 0, peak: queue?.peak ?? 0, limit: queue === undefined ? 0 : queue.bound + ARCHIVE_CHUNK_EVENTS, rereadRows: rest.rereadRows };
    },
    play: () => player.start(),
    pauseAt: (count) => player.pauseAt(count),
    waitForSubscribers: (streams) => sockets.waitForSubscribers(streams),
    finished: player.finished,
    close() {
      closing ??= (async () => {
        player.stop();
        clearInterval(pingTimer);
        sockets.close();
        wss.close();
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
      })();
      return closing;
    },
  };
}

/** Binance's error bodies for the statuses a `restFail` fault answers most (others get code -1000). */
const REST_ERRORS: Record<number, { code: number; msg: string }> = {
  401: { code: -2014, msg: 'API-key format invalid.' },
  403: { code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' },
  500: { code: -1001, msg: 'Internal error; unable to process your request. Please try again.' },
  503: { code: -1008, msg: 'Server is currently overloaded with other requests. Please try again in a few minutes.' },
};

/** REST and control requests: `/_control/<fault|play|stats>`, injected 429/418 and `restFail` answers, else the REST answer. */
function handleHttp(req: IncomingMessage, res: ServerResponse, parts: { rest: ReplayRest; faults: ReplayFaults; stats: ReplayStats; player: ReplayPlayer }): void {
  const { rest, faults, stats, player } = parts;
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
  const failure = faults.takeRestFail(url.pathname);
  if (failure !== null) {
    const [status, body] = failure === 'empty' ? [200, '[]'] : [failure, JSON.stringify(REST_ERRORS[failure] ?? { code: -1000, msg: 'An unknown error occurred while processing the request; replay server fault injection.' })];
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    return;
  }
  const send = (answer: RestAnswer): void => {
    res.writeHead(answer.status, { 'content-type': 'application/json', 'x-mbx-used-weight-1m': String(stats.restCalls) }).end(answer.body);
  };
  const answer = rest.answer(url.pathname, url.searchParams);
  if (!(answer instanceof Promise)) { send(answer); return; }
  answer.then(send, (error: unknown) => send({ status: 500, body: JSON.stringify({ code: -1001, msg: `replay server: history unreadable: ${String(error)}` }) }));
}
