/**
 * Pure mappers from ccxt's unified structures to records, for the ccxt source (`--via ccxt`).
 *
 * What ccxt gives and what it cannot (ccxt 4.5.84, binance/binanceusdm/binancecoinm):
 * - trades, aggTrades, bookTickers (`watchBidsAsks`) and mark prices (`watchMarkPrice`) keep the raw
 *   exchange event in `info`; liquidations (`watchLiquidations`) keep the event's order object `o`, which
 *   the source wraps back into a `forceOrder` event. These map through the same pure mappers as the raw
 *   path, field for field.
 * - OHLCV (`watchOHLCV`) is `[openTime, o, h, l, c, v]` only: no closed flag (`x`), close time, quote volume,
 *   trade count or taker volumes. The source compensates: `closeTimeUs` = next open − 1 ms; a candle is
 *   emitted `isClosed: true` (closed-ws version) once a later candle starts — its last values are the
 *   exchange's final (`x:true`) values, because ccxt overwrites the candle with every update; the missing
 *   volumes and count are null (the archive or a REST repair fills them; it outranks ws by version).
 *   On COIN-M, ccxt's `v` is contracts and goes to `contracts`.
 * - Order books (`watchOrderBook`) are full book states: the first becomes a `bookSnapshot`, each later
 *   one a `depthUpdate` holding the levels that changed (qty 0 = removed) with `finalUpdateId` = ccxt's
 *   nonce; the original diff boundaries (`U`, `pu`) are not exposed, so one update may span several diffs.
 */
import { DecodeError } from '../../schemas/errors.js';
import { windowStartUs, isKlineInterval, nextWindowStartUs } from '../../schemas/interval.js';
import type { BookSnapshotRecord, DepthUpdateRecord, KlineRecord } from '../../schemas/records.js';
import { US_PER_MS } from '../../schemas/time.js';
import { makeVersion } from '../../schemas/version.js';
import { commonFields, type FrameContext } from './live-context.js';

/** A ccxt OHLCV row. */
export type CcxtOhlcv = readonly [number, number, number, number, number, number];

/** Maps a ccxt OHLCV row of `symbol` (exchange id) and `interval` to a kline record. */
export function mapCcxtOhlcv(row: CcxtOhlcv, symbol: string, interval: string, closed: boolean, context: FrameContext): KlineRecord {
  if (!isKlineInterval(interval)) throw new DecodeError(`unknown kline interval ${interval}`, JSON.stringify(row));
  const openTimeUs = row[0] * US_PER_MS;
  if (windowStartUs(openTimeUs, interval) !== openTimeUs) throw new DecodeError('OHLCV open time not aligned to its interval', JSON.stringify(row));
  const cm = context.market === 'cm';
  return {
    kind: 'kline',
    ...commonFields(context, symbol, openTimeUs, 'ws'),
    version: makeVersion('ws', context.receiveMs, closed),
    priceKind: 'trade', interval, openTimeUs, closeTimeUs: nextWindowStartUs(openTimeUs, interval) - US_PER_MS,
    open: row[1], high: row[2], low: row[3], close: row[4],
    volume: cm ? null : row[5], quoteVolume: null, contracts: cm ? row[5] : null, baseVolume: null,
    tradeCount: null, takerBuyVolume: null, takerBuyQuoteVolume: null, takerBuyContracts: null, takerBuyBaseVolume: null,
    isClosed: closed,
  };
}

/** A ccxt order book state: `[price, amount][]` sides and the last update id as `nonce`. */
export interface CcxtBook { readonly bids: readonly (readonly number[])[]; readonly asks: readonly (readonly number[])[]; readonly nonce?: number; readonly timestamp?: number }

function sides(book: CcxtBook) {
  return {
    bidPrices: book.bids.map((l) => l[0]), bidQtys: book.bids.map((l) => l[1]),
    askPrices: book.asks.map((l) => l[0]), askQtys: book.asks.map((l) => l[1]),
  };
}

function eventUs(book: CcxtBook, context: FrameContext): number {
  return book.timestamp !== undefined && book.timestamp !== null ? book.timestamp * US_PER_MS : Math.round(context.receiveMs * US_PER_MS);
}

/** Maps a first ccxt book state to a bookSnapshot record. */
export function mapCcxtBookSnapshot(book: CcxtBook, symbol: string, context: FrameContext): BookSnapshotRecord {
  return {
    kind: 'bookSnapshot', ...commonFields(context, symbol, eventUs(book, context), 'ws'), version: makeVersion('ws', context.receiveMs, true),
    finalUpdateId: book.nonce ?? 0, transactionTimeUs: null, ...sides(book),
  };
}

function changed(before: readonly (readonly number[])[], after: readonly (readonly number[])[]): number[][] {
  const old = new Map(before.map((l) => [l[0], l[1]]));
  const out: number[][] = [];
  const now = new Set<number>();
  for (const [price, qty] of after) { now.add(price); if (old.get(price) !== qty) out.push([price, qty]); }
  for (const price of old.keys()) if (!now.has(price)) out.push([price, 0]);
  return out;
}

/** Maps the change between two ccxt book states to a depthUpdate record (removed levels have qty 0). */
export function mapCcxtBookDiff(before: CcxtBook, after: CcxtBook, symbol: string, context: FrameContext): DepthUpdateRecord {
  const prev = before.nonce ?? 0;
  const bids = changed(before.bids, after.bids);
  const asks = changed(before.asks, after.asks);
  return {
    kind: 'depthUpdate', ...commonFields(context, symbol, eventUs(after, context), 'ws'), version: makeVersion('ws', context.receiveMs, true),
    firstUpdateId: prev + 1, finalUpdateId: after.nonce ?? prev, prevFinalUpdateId: context.market === 'spot' ? null : prev, transactionTimeUs: null,
    bidPrices: bids.map((l) => l[0]), bidQtys: bids.map((l) => l[1]), askPrices: asks.map((l) => l[0]), askQtys: asks.map((l) => l[1]),
  };
}
