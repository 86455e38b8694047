/**
 * How the replay server reads WebSocket URLs and stream names like Binance does.
 * Paths: `/ws[/<stream>]` and `/stream/ws/<n>` (raw frames; `<n>` = a ccxt shard number), `/stream?streams=a/b`
 * (combined `{stream,data}` frames), each optionally under `/public` or `/market` (USD-M routed endpoints).
 * On USD-M, `/public` carries depth, bookTicker and trade; `/market` everything else; an unrouted USD-M
 * connection gets public data only, as documented since 2026-04-23.
 */
import type { LiveMarket } from '../binance-live/live-context.js';

/** A parsed connection URL. */
export interface WsRoute {
  readonly combined: boolean;
  readonly category: 'public' | 'market' | null;
  readonly streams: string[];
}

/** Parses a WebSocket request path + query; null when it is not a stream endpoint. */
export function parseWsRoute(pathname: string, search: URLSearchParams): WsRoute | null {
  const m = /^(?:\/(public|market))?(\/stream(?:\/ws(?:\/[^/]+)?)?|\/ws(?:\/.*)?)$/.exec(pathname);
  if (m === null) return null;
  const category = (m[1] as 'public' | 'market' | undefined) ?? null;
  const rest = m[2];
  if (rest === '/stream') {
    return { combined: true, category, streams: (search.get('streams') ?? '').split('/').filter((s) => s !== '') };
  }
  if (rest.startsWith('/stream/ws')) return { combined: false, category, streams: [] };
  const tail = rest.slice('/ws'.length).replace(/^\//, '');
  const streams = tail === '' || /^\d+$/.test(tail) ? [] : tail.split('/').filter((s) => s !== '');
  return { combined: false, category, streams };
}

/**
 * The canonical form of a stream name, so that update-speed variants match the feed's events:
 * `BTCUSDT@depth@100ms` → `btcusdt@depth`, `btcusdt@markPrice@1s` → `btcusdt@markPrice`.
 */
export function canonicalStream(stream: string): string {
  let canonical = CANONICAL.get(stream);
  if (canonical === undefined) {
    const [head, ...rest] = stream.split('@');
    const type = rest.filter((part) => !/^\d+m?s$/.test(part)).join('@');
    canonical = `${head.startsWith('!') ? head : head.toLowerCase()}@${type}`;
    if (CANONICAL.size >= MAX_CACHED_STREAMS) CANONICAL.clear();
    CANONICAL.set(stream, canonical);
  }
  return canonical;
}

/** Canonical names already worked out (a feed has few streams; every played event asks). Bounded. */
const CANONICAL = new Map<string, string>();
const MAX_CACHED_STREAMS = 4096;

/** The all-market stream (`!forceOrder@arr`, …) an event of `type` also belongs to, if any. */
export function allMarketStream(eventType: unknown): string | null {
  switch (eventType) {
    case 'forceOrder': return '!forceOrder@arr';
    case 'markPriceUpdate': return '!markPrice@arr';
    case 'bookTicker': return '!bookTicker';
    default: return null;
  }
}

/**
 * The per-symbol stream an event of an all-market stream also belongs to, as on Binance: a liquidation
 * captured on `!forceOrder@arr` is `<symbol>@forceOrder`'s too, each element of `!markPrice@arr` is
 * `<symbol>@markPrice`'s, a `!bookTicker` event `<symbol>@bookTicker`'s. Null for other events.
 */
export function symbolStreamOf(event: Record<string, unknown>): string | null {
  const order = event.o;
  const symbol = event.e === 'forceOrder' && typeof order === 'object' && order !== null ? (order as Record<string, unknown>).s : event.s;
  if (typeof symbol !== 'string') return null;
  const type = event.e === 'markPriceUpdate' ? 'markPrice' : event.e === 'forceOrder' ? 'forceOrder' : event.e === 'bookTicker' || (event.e === undefined && 'u' in event) ? 'bookTicker' : null;
  return type === null ? null : `${symbol.toLowerCase()}@${type}`;
}

/** The USD-M endpoint category of a stream (ccxt 4.5.84 `getFutureWsCategory`, trade included in public). */
export function streamCategory(stream: string): 'public' | 'market' {
  return /@(depth|bookTicker|trade$|rpiDepth)|^!bookTicker/.test(stream) ? 'public' : 'market';
}

/** Whether a connection on `route` of `market` may receive `stream`. */
export function routeAllows(route: WsRoute, market: LiveMarket, stream: string): boolean {
  if (market !== 'um') return true;
  return streamCategory(stream) === (route.category ?? 'public');
}
