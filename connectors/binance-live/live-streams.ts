/**
 * Which streams to open and where: stream names per data type, the production WebSocket bases, and the
 * split of a subscription into connections. Spot and COIN-M use one combined-stream connection
 * (`/stream?streams=…`). USD-M uses the routed endpoints announced 2026-03-06 (legacy URLs retired
 * 2026-04-23): `/public` for depth and bookTicker, `/market` for aggTrade, kline, markPrice and forceOrder.
 * `@trade` goes to `/public`, as ccxt 4.5.84 routes it (Binance's own category for it is not documented
 * consistently; see docs/BINANCE.md §7) — so a USD-M subscription may need two sockets.
 */
import { ConfigError } from '../../schemas/errors.js';
import { isKlineInterval } from '../../schemas/interval.js';
import type { LiveMarket } from './live-context.js';

/** Production WebSocket bases per market. */
export const DEFAULT_WS_URLS: Record<LiveMarket, string> = {
  spot: 'wss://stream.binance.com:9443', um: 'wss://fstream.binance.com', cm: 'wss://dstream.binance.com',
};

/** A live data type: `trade`, `aggTrade`, `kline_<interval>`, `bookTicker`, `depth`, `markPrice`, `forceOrder`. */
export type LiveStreamType = 'trade' | 'aggTrade' | `kline_${string}` | 'bookTicker' | 'depth' | 'markPrice' | 'forceOrder';

/** One subscribed stream: a data type of a symbol. */
export interface LiveStream {
  readonly type: LiveStreamType;
  readonly symbol: string;
  /** Kline interval, for `kline_<i>`. */
  readonly interval: string | null;
  /** The Binance stream name (`btcusdt@depth@100ms`). */
  readonly name: string;
}

/** A connection: its URL and the streams it carries. */
export interface LiveConnectionPlan {
  readonly key: string;
  readonly url: string;
  readonly streams: readonly LiveStream[];
}

const STREAMS_PER_CONNECTION: Record<LiveMarket, number> = { spot: 1024, um: 200, cm: 200 };

/** Parses a data type spelled like the CLI (`trades`, `aggTrades`, `klines:1m`, `kline_1m`, `depth`, …). */
export function parseLiveStreamType(text: string, market: LiveMarket): LiveStreamType {
  const t = text.trim();
  const kline = /^klines?[:_](.+)$/.exec(t);
  if (kline !== null) {
    if (!isKlineInterval(kline[1])) throw new ConfigError(`unknown kline interval in ${JSON.stringify(text)}`);
    return `kline_${kline[1]}`;
  }
  const map: Record<string, LiveStreamType> = {
    trade: 'trade', trades: 'trade', aggTrade: 'aggTrade', aggTrades: 'aggTrade', bookTicker: 'bookTicker',
    depth: 'depth', book: 'depth', markPrice: 'markPrice', fundingRate: 'markPrice', forceOrder: 'forceOrder', liquidations: 'forceOrder',
  };
  const type = map[t];
  if (type === undefined) throw new ConfigError(`unknown live data type ${JSON.stringify(text)}; expected trades, aggTrades, klines:<i>, bookTicker, depth, markPrice or forceOrder`);
  if ((type === 'markPrice' || type === 'forceOrder') && market === 'spot') throw new ConfigError(`${type} exists on futures only (market um or cm), not spot`);
  return type;
}

/** The stream of a data type of a symbol. */
export function liveStream(type: LiveStreamType, symbol: string): LiveStream {
  const lower = symbol.toLowerCase();
  const interval = type.startsWith('kline_') ? type.slice('kline_'.length) : null;
  const suffix = type === 'depth' ? 'depth@100ms' : type === 'markPrice' ? 'markPrice@1s' : type;
  return { type, symbol: symbol.toUpperCase(), interval, name: `${lower}@${suffix}` };
}

/** The USD-M endpoint category of a data type. */
export function routedCategory(type: LiveStreamType): 'public' | 'market' {
  return type === 'depth' || type === 'bookTicker' || type === 'trade' ? 'public' : 'market';
}

/** Splits streams into connections for `market` under the WebSocket base `wsUrl`. */
export function planConnections(market: LiveMarket, streams: readonly LiveStream[], wsUrl = DEFAULT_WS_URLS[market]): LiveConnectionPlan[] {
  const base = wsUrl.replace(/\/$/, '');
  const groups = new Map<string, LiveStream[]>();
  for (const stream of streams) {
    const prefix = market === 'um' ? `/${routedCategory(stream.type)}` : '';
    const list = groups.get(prefix) ?? [];
    list.push(stream);
    groups.set(prefix, list);
  }
  const plans: LiveConnectionPlan[] = [];
  for (const [prefix, list] of groups) {
    for (let i = 0; i < list.length; i += STREAMS_PER_CONNECTION[market]) {
      const chunk = list.slice(i, i + STREAMS_PER_CONNECTION[market]);
      plans.push({ key: `${prefix || '/'}#${i}`, url: `${base}${prefix}/stream?streams=${chunk.map((s) => s.name).join('/')}`, streams: chunk });
    }
  }
  return plans;
}
