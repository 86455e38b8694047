/**
 * `fromCcxt(options)`: the same live records as {@link fromBinanceLive}, through ccxt's watch* methods, for
 * users who want ccxt's exchange coverage. Cold; teardown stops the watch loops and closes ccxt's sockets.
 *
 * Pointing ccxt 4.5.84 at another server (docs/BINANCE.md appendix C): `urls.api.ws.spot` must contain
 * `/stream` (ccxt decides spot vs swap by it) — `<ws>/stream/ws`; `urls.api.ws.future = <ws>/ws` (ccxt adds
 * `/public` or `/market`); `urls.api.ws.delivery = <ws>/ws`; REST `public`, `fapiPublic(V2/V3)`,
 * `dapiPublic`; `loadHttpProxyAgent()` before the first watch on `ws://`; `fetchMarkets.types` narrowed to
 * the one market so `loadMarkets` calls one exchangeInfo. Depth needs the server's `{"result":null,"id":n}`
 * ack (ccxt fetches the snapshot on it). What ccxt cannot give, and how this source compensates: map-ccxt.ts.
 * A watch that fails (ccxt reconnects on the next call) is reported in-band as a `gap` (`ws_disconnect`,
 * state `reported`: this source does not repair; use the raw source for repair).
 */
import ccxt from 'ccxt';
import { Observable } from 'rxjs';
import type { AnyRecord } from '../../schemas/records.js';
import { US_PER_MS } from '../../schemas/time.js';
import { backoffDelayMs, sleep } from '../plumbing/backoff.js';
import { asObject, type JsonObject } from './frame-fields.js';
import { makeGap } from './gap-record.js';
import type { FrameContext, LiveMarket } from './live-context.js';
import { liveStream, type LiveStream, type LiveStreamType } from './live-streams.js';
import { mapBinanceBookTicker } from './map-binance-book.js';
import { deadLetterOf } from './map-binance-frame.js';
import { mapBinanceForceOrder, mapBinanceMarkPrice } from './map-binance-futures.js';
import { mapBinanceAggTrade, mapBinanceTrade } from './map-binance-trade.js';
import { mapCcxtBookDiff, mapCcxtBookSnapshot, mapCcxtOhlcv, type CcxtBook, type CcxtOhlcv } from './map-ccxt.js';

/** Options of {@link fromCcxt}. */
export interface CcxtSourceOptions {
  readonly market: LiveMarket;
  /** Exchange symbols (`BTCUSDT`), as in the raw source. */
  readonly symbols: readonly string[];
  readonly types: readonly LiveStreamType[];
  /** WebSocket base, e.g. `ws://127.0.0.1:PORT`. @default ccxt's production URLs */
  readonly wsUrl?: string;
  /** REST base, e.g. `http://127.0.0.1:PORT`. @default ccxt's production URLs */
  readonly restUrl?: string;
  readonly now?: () => number;
}

/** The slice of a ccxt pro exchange this source uses. */
interface CcxtExchange {
  urls: { api: Record<string, unknown> };
  options: Record<string, unknown>;
  markets_by_id: Record<string, { symbol: string }[] | undefined> | undefined;
  loadMarkets(): Promise<unknown>;
  loadHttpProxyAgent(): Promise<unknown>;
  client(url: string): { send(message: unknown): Promise<unknown> };
  close(): Promise<unknown>;
  watchTrades(symbol: string, since?: number, limit?: number, params?: object): Promise<{ info: unknown }[]>;
  watchOHLCV(symbol: string, timeframe: string): Promise<CcxtOhlcv[]>;
  watchOrderBook(symbol: string, limit?: number): Promise<CcxtBook>;
  watchBidsAsks(symbols: string[]): Promise<Record<string, { info: unknown }>>;
  watchMarkPrice(symbol: string): Promise<{ info: unknown }>;
  watchLiquidations(symbol: string): Promise<{ info: unknown }[]>;
}

const CLASSES: Record<LiveMarket, string> = { spot: 'binance', um: 'binanceusdm', cm: 'binancecoinm' };
const MARKET_TYPES: Record<LiveMarket, string> = { spot: 'spot', um: 'linear', cm: 'inverse' };

/** Creates a ccxt pro exchange for `market`, pointed at `wsUrl`/`restUrl` when given. */
export function createCcxtExchange(market: LiveMarket, wsUrl?: string, restUrl?: string): CcxtExchange {
  const Pro = (ccxt as unknown as { pro: Record<string, new (config: object) => CcxtExchange> }).pro;
  // ws.backoff.max 0: ccxt 4.5.84 delays each re-dial of a URL (1 s, 2 s, 4 s, …) on a timer that close() cannot
  // cancel, so a watch loop unsubscribed during that wait left a socket dialled after teardown. The watch
  // loops here already back off (connectors/plumbing/backoff.ts, aborted on unsubscribe), so ccxt dials at once.
  const options = { fetchMarkets: { types: [MARKET_TYPES[market]] }, ws: { backoff: { max: 0 } } };
  const ex = new Pro[CLASSES[market]]({ enableRateLimit: true, options });
  observeSends(ex);
  if (wsUrl !== undefined) {
    const base = wsUrl.replace(/\/$/, '');
    const ws = ex.urls.api.ws as Record<string, unknown>;
    Object.assign(ws, { spot: `${base}/stream/ws`, margin: `${base}/stream/ws`, future: `${base}/ws`, delivery: `${base}/ws` });
  }
  if (restUrl !== undefined) {
    const base = restUrl.replace(/\/$/, '');
    Object.assign(ex.urls.api, {
      public: `${base}/api/v3`, fapiPublic: `${base}/fapi/v1`, fapiPublicV2: `${base}/fapi/v2`, fapiPublicV3: `${base}/fapi/v3`,
      dapiPublic: `${base}/dapi/v1`, dapiPublicV2: `${base}/dapi/v2`,
    });
  }
  return ex;
}

/**
 * ccxt 4.5.84 sends a throttled SUBSCRIBE without awaiting it (`client.throttle(cost).then(() => {
 * client.send(message) })` in Exchange.watch/watchMultiple): when the socket closes first — a drop while
 * resubscribing, or `close()` on teardown — that promise rejects with nobody listening, and Node ends the
 * process (unhandled rejection). Every send of this exchange's sockets gets a no-op observer; whoever awaits
 * the send still sees its rejection, and the closed socket itself fails the pending watch (a `gap`).
 */
function observeSends(ex: CcxtExchange): void {
  const client = ex.client.bind(ex);
  const observed = new WeakSet<object>();
  ex.client = (url: string) => {
    const c = client(url);
    if (!observed.has(c)) {
      observed.add(c);
      const send = c.send.bind(c);
      c.send = (message: unknown) => { const sent = send(message); sent.catch(() => undefined); return sent; };
    }
    return c;
  };
}

/** A cold Observable of live records through ccxt. */
export function fromCcxt(options: CcxtSourceOptions): Observable<AnyRecord> {
  return new Observable<AnyRecord>((subscriber) => {
    const abort = new AbortController();
    const now = options.now ?? Date.now;
    const ex = createCcxtExchange(options.market, options.wsUrl, options.restUrl);
    const emit = (record: AnyRecord): void => { if (!abort.signal.aborted) subscriber.next(record); };
    const streams = options.symbols.flatMap((symbol) => options.types.map((type) => liveStream(type, symbol)));
    (async () => {
      if (options.wsUrl?.startsWith('ws://') === true) await ex.loadHttpProxyAgent();
      await ex.loadMarkets();
      await Promise.all(streams.map((stream) => watchLoop(ex, stream, options.market, now, emit, abort.signal)));
      if (!abort.signal.aborted) subscriber.complete();
    })().catch((error: unknown) => { if (!abort.signal.aborted) subscriber.error(error); });
    return () => { abort.abort(new Error('unsubscribed')); void ex.close().catch(() => undefined); };
  });
}

function unifiedSymbol(ex: CcxtExchange, id: string): string {
  const markets = ex.markets_by_id?.[id];
  if (markets === undefined || markets.length === 0) throw new Error(`ccxt does not know the symbol ${id}`);
  return markets[0].symbol;
}

async function watchLoop(ex: CcxtExchange, stream: LiveStream, market: LiveMarket, now: () => number, emit: (r: AnyRecord) => void, signal: AbortSignal): Promise<void> {
  const symbol = unifiedSymbol(ex, stream.symbol);
  const context = (receiveMs: number): FrameContext => ({ market, receiveMs, ingestId: `ccxt:${stream.name}` });
  const handle = ccxtHandler(ex, stream, symbol, context, emit, now);
  for (let failures = 0; !signal.aborted;) {
    try {
      await handle();
      failures = 0;
    } catch (error) {
      if (signal.aborted) return;
      failures++;
      const nowMs = now();
      emit(makeGap({
        market, symbol: stream.symbol, dataType: stream.type === 'depth' ? 'depthUpdate' : stream.interval !== null ? 'kline' : stream.type === 'forceOrder' ? 'liquidation' : stream.type as 'trade',
        interval: stream.interval, fromUs: Math.round(nowMs * US_PER_MS), toUs: Math.round(nowMs * US_PER_MS), cause: 'ws_disconnect', state: 'reported',
        receiveMs: nowMs, ingestId: `ccxt:${stream.name}`, detail: `ccxt watch failed: ${(error as Error).message}`,
      }));
      await sleep(backoffDelayMs(failures), signal).catch(() => undefined);
    }
  }
}

type Handler = () => Promise<void>;

function ccxtHandler(ex: CcxtExchange, stream: LiveStream, symbol: string, context: (ms: number) => FrameContext, emit: (r: AnyRecord) => void, now: () => number): Handler {
  const viaInfo = (info: unknown, map: (event: JsonObject, c: FrameContext) => AnyRecord | AnyRecord[], receiveMs: number): void => {
    try {
      const out = map(asObject(info, JSON.stringify(info)), context(receiveMs));
      for (const r of Array.isArray(out) ? out : [out]) emit(r);
    } catch (error) {
      emit(deadLetterOf(error, JSON.stringify(info), context(receiveMs).market, receiveMs, context(receiveMs).ingestId));
    }
  };
  switch (stream.type) {
    case 'trade':
    case 'aggTrade': {
      const map = stream.type === 'trade' ? mapBinanceTrade : mapBinanceAggTrade;
      return async () => { const trades = await ex.watchTrades(symbol, undefined, undefined, { name: stream.type }); const ms = now(); for (const t of trades) viaInfo(t.info, map, ms); };
    }
    case 'bookTicker': return async () => { const tickers = await ex.watchBidsAsks([symbol]); const ms = now(); for (const t of Object.values(tickers)) viaInfo(t.info, mapBinanceBookTicker, ms); };
    case 'markPrice': return async () => { const t = await ex.watchMarkPrice(symbol); viaInfo(t.info, mapBinanceMarkPrice, now()); };
    // ccxt's liquidation `info` is the event's order object `o`, not the event: wrap it back for the mapper.
    case 'forceOrder': return async () => { const list = await ex.watchLiquidations(symbol); const ms = now(); for (const l of list) viaInfo({ e: 'forceOrder', o: l.info }, mapBinanceForceOrder, ms); };
    case 'depth': return bookHandler(ex, stream, symbol, context, emit, now);
    default: return ohlcvHandler(ex, stream, symbol, context, emit, now);
  }
}

function ohlcvHandler(ex: CcxtExchange, stream: LiveStream, symbol: string, context: (ms: number) => FrameContext, emit: (r: AnyRecord) => void, now: () => number): Handler {
  let current: CcxtOhlcv | undefined;
  const interval = stream.interval ?? '1m';
  return async () => {
    const rows = await ex.watchOHLCV(symbol, interval);
    const ms = now();
    for (const row of rows) {
      if (current !== undefined && row[0] > current[0]) emit(mapCcxtOhlcv(current, stream.symbol, interval, true, context(ms)));
      if (current === undefined || row[0] >= current[0]) current = [...row] as unknown as CcxtOhlcv;
      emit(mapCcxtOhlcv(row, stream.symbol, interval, false, context(ms)));
    }
  };
}

function bookHandler(ex: CcxtExchange, stream: LiveStream, symbol: string, context: (ms: number) => FrameContext, emit: (r: AnyRecord) => void, now: () => number): Handler {
  let previous: CcxtBook | undefined;
  const copy = (book: CcxtBook): CcxtBook => ({ bids: book.bids.map((l) => [l[0], l[1]]), asks: book.asks.map((l) => [l[0], l[1]]), nonce: book.nonce, timestamp: book.timestamp });
  return async () => {
    const book = copy(await ex.watchOrderBook(symbol));
    const ms = now();
    if (previous === undefined || (book.nonce ?? 0) < (previous.nonce ?? 0)) emit(mapCcxtBookSnapshot(book, stream.symbol, context(ms)));
    else if (book.nonce !== previous.nonce) emit(mapCcxtBookDiff(previous, book, stream.symbol, context(ms)));
    previous = book;
  };
}
