/**
 * Binance public REST for the speed layer (snapshots and repair): spot `/api/v3`, USD-M `/fapi/v1`, COIN-M
 * `/dapi/v1`. Every call goes through the shared {@link RestLimiter} with its documented weight; 429/418
 * answers become a {@link RateLimitedError} (Retry-After seconds → `retryAfterMs`) that pauses the limiter,
 * and retriable failures are retried with the project's backoff. Rows are mapped with the pure mappers
 * (`source: 'rest'`, ingestId = request path and query).
 *
 * Bounded: a body is read up to `maxBodyBytes` (after decompression) and refused past it with a non-retriable
 * ConnectorError; a `Retry-After` is taken up to {@link MAX_PAUSE_MS} (a ban of hours or days is not waited
 * out in-process: the call fails once its attempts are spent).
 *
 * Trades by id: spot `historicalTrades` needs no API key (since 2023-12); the futures ones do (`MARKET_DATA`)
 * and give at most 500 rows. Without a key, {@link BinanceRest.tradesFrom} takes the futures recent-trades list
 * instead (the last 1000 trades, no key): enough for a hole of the last moments, not for an older one.
 */
import { ConnectorError, NotFoundUpstreamError, RateLimitedError, RetriesExhaustedError, isRetriable } from '../../schemas/errors.js';
import type { AggTradeRecord, BookSnapshotRecord, KlineRecord, TradeRecord } from '../../schemas/records.js';
import { backoffDelayMs } from '../plumbing/backoff.js';
import { asObject, type JsonObject } from './frame-fields.js';
import type { FrameContext, LiveMarket } from './live-context.js';
import { mapBinanceDepthSnapshot } from './map-binance-book.js';
import { mapBinanceRestKline } from './map-binance-kline.js';
import { mapBinanceRestAggTrade, mapBinanceRestTrade } from './map-binance-trade.js';
import { MAX_PAUSE_MS, RestLimiter } from './rest-limiter.js';

/** Production REST bases per market. */
export const DEFAULT_REST_URLS: Record<LiveMarket, string> = {
  spot: 'https://api.binance.com', um: 'https://fapi.binance.com', cm: 'https://dapi.binance.com',
};
const PREFIX: Record<LiveMarket, string> = { spot: '/api/v3', um: '/fapi/v1', cm: '/dapi/v1' };

/** Default cap of a REST body, bytes: a 5000-level depth snapshot is ~0.4 MB, 1000 klines ~0.2 MB. */
export const DEFAULT_MAX_BODY_BYTES = 16 << 20;

/** A page of trades by id, and whether a later page may follow. */
export interface TradePage { readonly rows: TradeRecord[]; readonly more: boolean }

/** Options of {@link BinanceRest}. */
export interface BinanceRestOptions {
  readonly market: LiveMarket;
  /** REST base URL (scheme, host, port). @default the production host of the market */
  readonly baseUrl?: string;
  /** The shared weight limiter. @default a new RestLimiter */
  readonly limiter?: RestLimiter;
  /** Attempts per call, the first included. @default 5 */
  readonly maxAttempts?: number;
  /** Backoff base delay, ms. @default 250 */
  readonly baseDelayMs?: number;
  /** Optional API key header (futures historicalTrades requires one on the real exchange). Never logged. */
  readonly apiKey?: string;
  /** Largest body read, bytes (decompressed). @default {@link DEFAULT_MAX_BODY_BYTES} */
  readonly maxBodyBytes?: number;
  readonly now?: () => number;
  /** Called before each retry of a failed call, with the error that failed it (for logs). */
  readonly onRetry?: (info: { url: string; attempt: number; error: unknown }) => void;
}

/** A REST client for one market. */
export class BinanceRest {
  readonly limiter: RestLimiter;
  private readonly base: string;
  private readonly now: () => number;

  constructor(private readonly options: BinanceRestOptions) {
    this.limiter = options.limiter ?? new RestLimiter();
    this.base = (options.baseUrl ?? DEFAULT_REST_URLS[options.market]).replace(/\/$/, '') + PREFIX[options.market];
    this.now = options.now ?? Date.now;
  }

  /** GETs `path` (below the market prefix) with the limiter and retries; returns the body and receive time. */
  async getJson(path: string, params: Record<string, string | number>, weight: number, signal?: AbortSignal): Promise<{ body: unknown; context: FrameContext }> {
    const query = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
    const url = `${this.base}${path}?${query}`;
    const maxAttempts = this.options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      await this.limiter.acquire(weight, signal);
      try {
        const body = await this.fetchOnce(url, signal);
        return { body, context: { market: this.options.market, receiveMs: this.now(), ingestId: `rest:${new URL(url).pathname}?${query}` } };
      } catch (error) {
        if (!isRetriable(error) || signal?.aborted === true) throw error;
        if (attempt >= maxAttempts) throw new RetriesExhaustedError(attempt, error, { url });
        this.options.onRetry?.({ url, attempt, error });
        if (error instanceof RateLimitedError) this.limiter.pause(error.retryAfterMs, error.context.status);
        else await this.limiter.wait(backoffDelayMs(attempt, { baseDelayMs: this.options.baseDelayMs }), signal);
      }
    }
  }

  private async fetchOnce(url: string, signal?: AbortSignal): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(url, { signal, headers: this.options.apiKey ? { 'X-MBX-APIKEY': this.options.apiKey } : {} });
    } catch (error) {
      throw new ConnectorError(`GET ${url} failed: ${(error as Error).message}`, { url }, { cause: error, retriable: signal?.aborted !== true });
    }
    const used = response.headers.get('x-mbx-used-weight-1m');
    if (used !== null) this.limiter.observeUsedWeight(Number(used));
    if (response.status === 429 || response.status === 418) {
      await response.body?.cancel();
      const retryAfterS = Number(response.headers.get('retry-after') ?? '');
      const retryAfterMs = Number.isFinite(retryAfterS) && retryAfterS > 0 ? Math.min(retryAfterS * 1000, MAX_PAUSE_MS) : 60_000;
      throw new RateLimitedError(`GET ${url}: HTTP ${response.status}`, retryAfterMs, { url, status: response.status });
    }
    const text = await this.readBody(response, url);
    if (response.status === 404) throw new NotFoundUpstreamError(`GET ${url}: HTTP 404`, { url, status: 404 });
    if (!response.ok) {
      throw new ConnectorError(`GET ${url}: HTTP ${response.status} ${text.slice(0, 200)}`, { url, status: response.status }, { retriable: response.status >= 500 });
    }
    try { return JSON.parse(text); } catch (error) {
      throw new ConnectorError(`GET ${url}: body is not JSON`, { url }, { cause: error });
    }
  }

  /** The body as text, refused past `maxBodyBytes` (the rest is not read). */
  private async readBody(response: Response, url: string): Promise<string> {
    const max = this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const tooLarge = (): ConnectorError => new ConnectorError(`GET ${url}: body larger than ${max} bytes`, { url, status: response.status }, { retriable: false });
    if (Number(response.headers.get('content-length') ?? 0) > max) { await response.body?.cancel(); throw tooLarge(); }
    if (response.body === null) return '';
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) { await reader.cancel(); throw tooLarge(); }
      chunks.push(value);
    }
    return Buffer.concat(chunks, size).toString('utf8');
  }

  /** The order book snapshot of `symbol` (weight by limit, per market). */
  async depth(symbol: string, limit = 1000, signal?: AbortSignal): Promise<BookSnapshotRecord> {
    const weight = this.options.market === 'spot' ? (limit <= 100 ? 5 : limit <= 500 ? 25 : limit <= 1000 ? 50 : 250) : (limit <= 50 ? 2 : limit <= 100 ? 5 : limit <= 500 ? 10 : 20);
    const { body, context } = await this.getJson('/depth', { symbol, limit }, weight, signal);
    return mapBinanceDepthSnapshot(asObject(body, JSON.stringify(body)), symbol, context);
  }

  /** Aggregate trades of `symbol` from `fromId` (ascending, at most `limit`). */
  async aggTrades(symbol: string, fromId: number, limit = 1000, signal?: AbortSignal): Promise<AggTradeRecord[]> {
    const { body, context } = await this.getJson('/aggTrades', { symbol, fromId, limit }, this.options.market === 'spot' ? 4 : 20, signal);
    return rows(body).map((row) => mapBinanceRestAggTrade(row, symbol, context));
  }

  /** Trades of `symbol` from `fromId` via historicalTrades (ascending, at most `limit`, capped at 1000 on spot, 500 on futures). */
  async trades(symbol: string, fromId: number, limit = 1000, signal?: AbortSignal): Promise<TradeRecord[]> {
    const spot = this.options.market === 'spot';
    const capped = Math.min(limit, spot ? 1000 : 500);
    const { body, context } = await this.getJson('/historicalTrades', { symbol, fromId, limit: capped }, spot ? 25 : 20, signal);
    return rows(body).map((row) => mapBinanceRestTrade(row, symbol, context));
  }

  /** The latest `limit` (≤ 1000) trades of `symbol`, ascending; no API key on any market. */
  async recentTrades(symbol: string, limit = 1000, signal?: AbortSignal): Promise<TradeRecord[]> {
    const { body, context } = await this.getJson('/trades', { symbol, limit: Math.min(limit, 1000) }, this.options.market === 'spot' ? 25 : 5, signal);
    return rows(body).map((row) => mapBinanceRestTrade(row, symbol, context));
  }

  /**
   * Trades from `fromId` by the best route this client has: historicalTrades on spot or with an API key (a full
   * page means more may follow), else the futures recent-trades list from `fromId` on (the last page: nothing
   * older is reachable without a key).
   */
  async tradesFrom(symbol: string, fromId: number, signal?: AbortSignal): Promise<TradePage> {
    if (this.options.market === 'spot' || (this.options.apiKey ?? '') !== '') {
      const page = this.options.market === 'spot' ? 1000 : 500;
      const rows = await this.trades(symbol, fromId, page, signal);
      return { rows, more: rows.length >= page };
    }
    return { rows: (await this.recentTrades(symbol, 1000, signal)).filter((row) => row.tradeId >= fromId), more: false };
  }

  /** Klines of `symbol` from `startTimeMs` (ascending, at most `limit`, capped at 1000). */
  async klines(symbol: string, interval: string, startTimeMs: number, limit = 1000, signal?: AbortSignal): Promise<KlineRecord[]> {
    const capped = Math.min(limit, 1000);
    const weight = this.options.market === 'spot' ? 2 : capped < 100 ? 1 : capped < 500 ? 2 : 5;
    const { body, context } = await this.getJson('/klines', { symbol, interval, startTime: startTimeMs, limit: capped }, weight, signal);
    if (!Array.isArray(body)) throw new ConnectorError('klines: expected an array', {});
    return body.map((row) => mapBinanceRestKline(row, symbol, interval, context));
  }
}

function rows(body: unknown): JsonObject[] {
  if (!Array.isArray(body)) throw new ConnectorError('expected a JSON array of rows', {});
  return body.map((row) => asObject(row, JSON.stringify(row)));
}
