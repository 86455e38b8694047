/**
 * Pure mappers for klines: the `@kline_<i>` WebSocket event (`k.x` = closed) and the 12-element REST rows of
 * `/api/v3/klines`, `/fapi/v1/klines`, `/dapi/v1/klines`.
 *
 * Spot and USD-M volumes are base-asset volumes; COIN-M `v`/`V` are contracts and `q`/`Q` base-asset
 * volumes (the field names keep that meaning). An open WebSocket candle gets the "open ws" version rank,
 * a closed one the "closed ws" rank; REST rows get the `rest` rank and are closed when their window ended
 * before the response was received.
 */
import { DecodeError } from '../../schemas/errors.js';
import { isKlineInterval } from '../../schemas/interval.js';
import type { KlineRecord } from '../../schemas/records.js';
import { makeVersion } from '../../schemas/version.js';
import { asObject, bool, dec, int, str, timeUs, type JsonObject } from './frame-fields.js';
import { commonFields, type FrameContext } from './live-context.js';

interface Volumes { v: number; q: number; V: number; Q: number }

function volumeFields(context: FrameContext, volumes: Volumes) {
  const cm = context.market === 'cm';
  return {
    volume: cm ? null : volumes.v,
    quoteVolume: cm ? null : volumes.q,
    contracts: cm ? volumes.v : null,
    baseVolume: cm ? volumes.q : null,
    takerBuyVolume: cm ? null : volumes.V,
    takerBuyQuoteVolume: cm ? null : volumes.Q,
    takerBuyContracts: cm ? volumes.V : null,
    takerBuyBaseVolume: cm ? volumes.Q : null,
  };
}

/** Maps a `kline` event (`{e:"kline",E,s,k:{t,T,s,i,o,c,h,l,v,n,x,q,V,Q}}`) to a kline record. */
export function mapBinanceKline(event: JsonObject, context: FrameContext): KlineRecord {
  const k = asObject(event.k, JSON.stringify(event));
  const interval = str(k, 'i');
  if (!isKlineInterval(interval)) throw new DecodeError(`unknown kline interval ${interval}`, JSON.stringify(event));
  const closed = bool(k, 'x');
  const openTimeUs = timeUs(k, 't');
  return {
    kind: 'kline',
    ...commonFields(context, str(k, 's'), openTimeUs, 'ws'),
    version: makeVersion('ws', context.receiveMs, closed),
    priceKind: 'trade',
    interval,
    openTimeUs,
    closeTimeUs: timeUs(k, 'T'),
    open: dec(k, 'o'), high: dec(k, 'h'), low: dec(k, 'l'), close: dec(k, 'c'),
    ...volumeFields(context, { v: dec(k, 'v'), q: dec(k, 'q'), V: dec(k, 'V'), Q: dec(k, 'Q') }),
    tradeCount: int(k, 'n'),
    isClosed: closed,
  };
}

const REST_KEYS = ['t', 'o', 'h', 'l', 'c', 'v', 'T', 'q', 'n', 'V', 'Q', 'B'] as const;

/**
 * Maps a REST kline row `[openTime,"o","h","l","c","v",closeTime,"q",n,"V","Q","0"]` of `symbol` and
 * `interval` to a kline record.
 */
export function mapBinanceRestKline(row: unknown, symbol: string, interval: string, context: FrameContext): KlineRecord {
  const raw = JSON.stringify(row);
  if (!Array.isArray(row) || row.length < 11) throw new DecodeError('expected a 12-element kline row', raw);
  if (!isKlineInterval(interval)) throw new DecodeError(`unknown kline interval ${interval}`, raw);
  const k: JsonObject = Object.fromEntries(REST_KEYS.map((key, i) => [key, row[i]]));
  const openTimeUs = timeUs(k, 't');
  const closeTimeUs = timeUs(k, 'T');
  const closed = closeTimeUs < context.receiveMs * 1000;
  return {
    kind: 'kline',
    ...commonFields(context, symbol, openTimeUs, 'rest'),
    version: makeVersion('rest', context.receiveMs, closed),
    priceKind: 'trade',
    interval,
    openTimeUs,
    closeTimeUs,
    open: dec(k, 'o'), high: dec(k, 'h'), low: dec(k, 'l'), close: dec(k, 'c'),
    ...volumeFields(context, { v: dec(k, 'v'), q: dec(k, 'q'), V: dec(k, 'V'), Q: dec(k, 'Q') }),
    tradeCount: int(k, 'n'),
    isClosed: closed,
  };
}
