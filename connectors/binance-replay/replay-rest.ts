/**
 * The REST half of the replay server: Binance-shaped answers for `exchangeInfo`, `klines`, `aggTrades`,
 * `trades`, `historicalTrades`, `depth`, `fundingRate` and `premiumIndex` under `/api/v3`, `/fapi/v1` and
 * `/dapi/v1`, from the feed. Rows become visible once the player has played them (each played event of the
 * first lap is handed to {@link ReplayRest.played}), so a client repairing a hole sees history up to "now", as
 * on the exchange. Rows of events held in memory are indexed in memory; rows of streamed archive events go
 * to a {@link ReplayHistory} (recent rows kept, older ones read again from the archive).
 */
import type { FeedEvent, Payload, ReplayFeed } from './replay-feed.js';
import { ReplayHistory, type HistoryField, type HistoryOptions } from './replay-history.js';

/** An HTTP answer. */
export interface RestAnswer { status: number; body: string; headers?: Record<string, string> }

interface Indexed { index: number; row: Payload | unknown[] }

/** REST indexes over a feed. */
export class ReplayRest {
  private readonly rows = new Map<string, Indexed[]>();
  private readonly marks = new Map<string, { index: number; data: Payload }[]>();
  private readonly diffs = new Map<string, { index: number; data: Payload }[]>();
  private readonly history: ReplayHistory | undefined;
  private readonly keys = new Map<string, string>();
  private playedCount = 0;

  /** @param freshSnapshots serve depth as the captured snapshot plus the diffs played since (else as captured) */
  constructor(private readonly feed: ReplayFeed, private readonly freshSnapshots = true, history: HistoryOptions = {}) {
    const source = feed.source;
    this.history = source === undefined ? undefined : new ReplayHistory((origin, offset) => source.reread(origin, offset), history);
  }

  /** Rows read again from the archive for history requests so far. */
  get rereadRows(): number { return this.history?.rereadRows ?? 0; }

  /** Makes a played event's REST rows visible. */
  played(event: FeedEvent): void {
    this.index(event, this.playedCount++);
  }

  private index(event: FeedEvent, index: number): void {
    // Streamed archive rows (a position in their file) all have REST rows, built only when asked for.
    if (this.history !== undefined && event.origin !== undefined && event.origin >= 0) { this.history.add(this.keyOf(event), event); return; }
    const items = Array.isArray(event.data) ? event.data : [event.data];
    for (const data of items) {
      if (data.e === 'markPriceUpdate') push(this.marks, String(data.s), { index, data });
      if (data.e === 'depthUpdate' && !/@depth\d/.test(event.stream)) push(this.diffs, String(data.s), { index, data });
    }
    if (event.restRow === undefined || Array.isArray(event.data)) return;
    push(this.rows, this.keyOf(event), { index, row: event.restRow });
  }

  /** The REST key of an event with a REST row (`trade:BTCUSDT`, `kline:BTCUSDT:1m`); one per stream, cached. */
  private keyOf(event: FeedEvent): string {
    let key = this.keys.get(event.stream);
    if (key === undefined) {
      const data = event.data as Payload;
      key = data.e === 'kline' ? `kline:${String(data.s)}:${String((data.k as Payload).i)}` : `${String(data.e)}:${String(data.s)}`;
      if (this.keys.size < 4096) this.keys.set(event.stream, key);
    }
    return key;
  }

  /** Answers `path` (e.g. `/api/v3/klines`) with `query`, from what was played so far. */
  answer(path: string, query: URLSearchParams): RestAnswer | Promise<RestAnswer> {
    const endpoint = path.replace(/^\/(api\/v3|fapi\/v1|dapi\/v1)/, '');
    const symbol = query.get('symbol')?.toUpperCase() ?? '';
    const limit = (fallback: number, max: number): number => Math.min(Number(query.get('limit') ?? fallback) || fallback, max);
    const visible = (key: string): Indexed[] => this.rows.get(key) ?? [];
    const streamed = this.streamedAnswer(endpoint, path, symbol, query, limit);
    if (streamed !== undefined) return streamed;
    const playedCount = this.playedCount;
    switch (endpoint) {
      case '/ping': return json({});
      case '/time': return json({ serverTime: Date.now() });
      case '/exchangeInfo': return { status: 200, body: this.feed.exchangeInfo ?? synthesizeExchangeInfo(this.feed) };
      case '/depth': {
        const body = this.feed.snapshots.get(symbol);
        if (body === undefined) return invalidSymbol();
        return { status: 200, body: this.freshSnapshots ? this.currentBook(symbol, body, playedCount, limit(100, 5000)) : body };
      }
      case '/aggTrades': return json(byId(visible(`aggTrade:${symbol}`), 'a', query, limit(500, 1000)));
      // Futures: default 100, at most 500 rows (spot 500 / 1000), as Binance documents.
      case '/historicalTrades': return json(byId(visible(`trade:${symbol}`), 'id', query, path.startsWith('/api') ? limit(500, 1000) : limit(100, 500)));
      case '/trades': return json(visible(`trade:${symbol}`).slice(-limit(500, 1000)).map((r) => r.row));
      case '/klines': return json(klines(visible(`kline:${symbol}:${query.get('interval') ?? ''}`), query, limit(500, path.startsWith('/api') ? 1000 : 1500)));
      case '/premiumIndex': return json(this.premiumIndex(symbol, playedCount));
      case '/fundingRate': return json(this.fundingRates(symbol, playedCount, limit(100, 1000)));
      default: return { status: 404, body: JSON.stringify({ code: -1, msg: `replay server: no route ${path}` }) };
    }
  }

  /** History answers for streams of streamed archive rows; undefined for other requests. */
  private streamedAnswer(endpoint: string, path: string, symbol: string, query: URLSearchParams, limit: (fallback: number, max: number) => number): Promise<RestAnswer> | undefined {
    const history = this.history;
    if (history === undefined) return undefined;
    const spot = path.startsWith('/api');
    const rowsOf = async (key: string, field: HistoryField, from: number, n: number): Promise<RestAnswer> => json(await history.from(key, field, from, n));
    const fromOf = (key: string, n: number): Promise<RestAnswer> => {
      const fromId = query.get('fromId');
      const startTime = query.get('startTime');
      if (fromId !== null) return rowsOf(key, 'id', Number(fromId), n);
      if (startTime !== null) return rowsOf(key, 'time', Number(startTime), n);
      return Promise.resolve(json(history.latest(key, n)));
    };
    switch (endpoint) {
      case '/aggTrades': return history.has(`aggTrade:${symbol}`) ? fromOf(`aggTrade:${symbol}`, limit(500, 1000)) : undefined;
      case '/historicalTrades': return history.has(`trade:${symbol}`) ? fromOf(`trade:${symbol}`, spot ? limit(500, 1000) : limit(100, 500)) : undefined;
      case '/trades': return history.has(`trade:${symbol}`) ? Promise.resolve(json(history.latest(`trade:${symbol}`, limit(500, 1000)))) : undefined;
      case '/klines': {
        const key = `kline:${symbol}:${query.get('interval') ?? ''}`;
        if (!history.has(key)) return undefined;
        const n = limit(500, spot ? 1000 : 1500);
        const end = Number(query.get('endTime') ?? Number.MAX_SAFE_INTEGER);
        const startTime = query.get('startTime');
        const inRange = (rows: unknown[]): unknown[] => rows.filter((row) => Number((row as unknown[])[0]) <= end);
        if (startTime === null) return Promise.resolve(json(inRange(history.latest(key, n))));
        return history.from(key, 'time', Number(startTime), n).then((rows) => json(inRange(rows)));
      }
      default: return undefined;
    }
  }

  /**
   * The book "now": the captured snapshot with every diff played since applied (`u` above its
   * lastUpdateId), so a client resyncing after a break gets a snapshot as fresh as the stream, like on the
   * exchange; the body keeps the captured one's shape (COIN-M's `symbol` and `pair` included). Before any
   * such diff was played, the captured snapshot itself.
   */
  private currentBook(symbol: string, captured: string, playedCount: number, limit: number): string {
    const snapshot = JSON.parse(captured) as Payload & { lastUpdateId: number; bids: [string, string][]; asks: [string, string][]; E?: number };
    const later = (this.diffs.get(symbol) ?? []).filter((d) => d.index < playedCount && Number(d.data.u) > snapshot.lastUpdateId);
    if (later.length === 0) return captured;
    const bids = new Map(snapshot.bids);
    const asks = new Map(snapshot.asks);
    for (const { data } of later) {
      for (const [side, levels] of [[bids, data.b], [asks, data.a]] as const) {
        for (const [price, qty] of levels as [string, string][]) { if (Number(qty) === 0) side.delete(price); else side.set(price, qty); }
      }
    }
    const last = later[later.length - 1].data;
    const sorted = (side: Map<string, string>, dir: number): [string, string][] => [...side].sort((x, y) => dir * (Number(x[0]) - Number(y[0]))).slice(0, limit);
    // Same keys in the same order as the captured body (COIN-M adds symbol and pair); ids, times and levels now.
    const fresh: Payload = { ...snapshot, lastUpdateId: last.u, bids: sorted(bids, -1), asks: sorted(asks, 1) };
    if (snapshot.E !== undefined) { fresh.E = last.E; fresh.T = last.T; }
    return JSON.stringify(fresh);
  }

  /**
   * `premiumIndex` from the latest mark price played. USD-M: one object for a symbol (a list without one);
   * COIN-M: always a list, each row with its `pair`, and delivery contracts (`r:""`) with empty funding fields.
   */
  private premiumIndex(symbol: string, playedCount: number): Payload | Payload[] {
    const cm = this.feed.market === 'cm';
    const latest = (s: string): Payload | undefined => (this.marks.get(s) ?? []).filter((m) => m.index < playedCount).at(-1)?.data;
    const one = (data: Payload): Payload => ({
      symbol: data.s, ...(cm ? { pair: String(data.s).replace(/_.*$/, '') } : {}), markPrice: data.p, indexPrice: data.i ?? '',
      estimatedSettlePrice: data.P ?? '', lastFundingRate: data.r ?? '', interestRate: data.r === '' ? '' : '0.00010000',
      nextFundingTime: data.T, time: data.E,
    });
    const rows = (symbol !== '' ? [symbol] : [...this.marks.keys()]).flatMap((s) => { const data = latest(s); return data === undefined ? [] : [one(data)]; });
    return symbol !== '' && !cm ? rows[0] ?? [] : rows;
  }

  /** Funding rates seen in the markPrice stream: the last estimate before each funding time. */
  private fundingRates(symbol: string, playedCount: number, limit: number): Payload[] {
    const byTime = new Map<number, Payload>();
    for (const { index, data } of this.marks.get(symbol) ?? []) {
      if (index < playedCount && data.r !== '' && data.r !== undefined && Number(data.E) >= Number(data.T)) {
        byTime.set(Number(data.T), { symbol, fundingTime: data.T, fundingRate: data.r, markPrice: data.p });
      }
    }
    return [...byTime.values()].slice(0, limit);
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]); else list.push(value);
}

function json(value: unknown): RestAnswer { return { status: 200, body: JSON.stringify(value) }; }
function invalidSymbol(): RestAnswer { return { status: 400, body: JSON.stringify({ code: -1121, msg: 'Invalid symbol.' }) }; }

function byId(rows: Indexed[], idField: string, query: URLSearchParams, limit: number): unknown[] {
  const fromId = query.get('fromId');
  const startTime = query.get('startTime');
  const idOf = (r: Indexed): number => Number((r.row as Payload)[idField]);
  let start = 0;
  if (fromId !== null) {
    let lo = 0; let hi = rows.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (idOf(rows[mid]) < Number(fromId)) lo = mid + 1; else hi = mid; }
    start = lo;
  } else if (startTime !== null) {
    const timeField = idField === 'a' ? 'T' : 'time';
    start = rows.findIndex((r) => Number((r.row as Payload)[timeField]) >= Number(startTime));
    if (start < 0) return [];
  } else {
    start = Math.max(0, rows.length - limit);
  }
  return rows.slice(start, start + limit).map((r) => r.row);
}

function klines(rows: Indexed[], query: URLSearchParams, limit: number): unknown[] {
  const latest = new Map<number, unknown[]>();
  for (const r of rows) latest.set(Number((r.row as unknown[])[0]), r.row as unknown[]);
  const start = Number(query.get('startTime') ?? 0);
  const end = Number(query.get('endTime') ?? Number.MAX_SAFE_INTEGER);
  const inRange = [...latest.entries()].sort((a, b) => a[0] - b[0]).filter(([t]) => t >= start && t <= end).map(([, row]) => row);
  return query.get('startTime') === null ? inRange.slice(-limit) : inRange.slice(0, limit);
}

/** A minimal exchangeInfo naming every symbol of the feed (enough for ccxt's loadMarkets). */
export function synthesizeExchangeInfo(feed: ReplayFeed): string {
  const symbols = new Set<string>();
  for (const event of feed.events) for (const d of Array.isArray(event.data) ? event.data : [event.data]) if (typeof d.s === 'string') symbols.add(d.s);
  for (const stream of feed.source?.streams ?? []) if (!stream.startsWith('!')) symbols.add(stream.slice(0, stream.indexOf('@')).toUpperCase());
  for (const s of feed.snapshots.keys()) symbols.add(s);
  const quotes = ['USDT', 'BUSD', 'USDC', 'BTC', 'ETH', 'EUR', 'BNB', 'USD'];
  const split = (s: string): [string, string] => {
    const bare = s.replace(/_.*$/, '');
    const quote = quotes.find((q) => bare.endsWith(q) && bare.length > q.length) ?? 'USDT';
    return [bare.slice(0, bare.length - quote.length), quote];
  };
  const filters = [
    { filterType: 'PRICE_FILTER', minPrice: '0.00000001', maxPrice: '1000000.00000000', tickSize: '0.00000001' },
    { filterType: 'LOT_SIZE', minQty: '0.00000001', maxQty: '90000000.00000000', stepSize: '0.00000001' },
  ];
  const futures = feed.market !== 'spot';
  return JSON.stringify({
    timezone: 'UTC', serverTime: Date.now(),
    rateLimits: [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: futures ? 2400 : 6000 }],
    exchangeFilters: [],
    symbols: [...symbols].sort().map((symbol) => {
      const [baseAsset, quoteAsset] = split(symbol);
      const common = { symbol, status: 'TRADING', baseAsset, quoteAsset, baseAssetPrecision: 8, quotePrecision: 8, quoteAssetPrecision: 8, orderTypes: ['LIMIT', 'MARKET'], filters };
      if (!futures) return { ...common, isSpotTradingAllowed: true, isMarginTradingAllowed: false, permissions: ['SPOT'], permissionSets: [['SPOT']] };
      const perpetual = !/_\d{6}$/.test(symbol);
      return {
        ...common, pair: symbol.replace(/_.*$/, ''), contractType: perpetual ? 'PERPETUAL' : 'CURRENT_QUARTER',
        deliveryDate: 4133404800000, onboardDate: 1569398400000, marginAsset: feed.market === 'cm' ? baseAsset : quoteAsset,
        pricePrecision: 8, quantityPrecision: 8, underlyingType: 'COIN', contractSize: feed.market === 'cm' ? 100 : undefined,
        timeInForce: ['GTC', 'IOC'],
      };
    }),
  });
}
