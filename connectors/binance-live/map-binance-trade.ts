/**
 * Pure mappers for trades and aggregate trades, from WebSocket events (`@trade`, `@aggTrade`) and from REST
 * rows (`/api/v3/historicalTrades`, `/aggTrades`, and their `/fapi`, `/dapi` twins).
 *
 * COIN-M quantities are contracts: they go to `contracts`, and `qty` stays null. Spot carries `M`
 * (best match); futures do not (null). WebSocket trades have no quote quantity (null).
 */
import { makeVersion } from '../../schemas/version.js';
import type { AggTradeRecord, TradeRecord } from '../../schemas/records.js';
import { bool, dec, int, optBool, optDec, str, timeUs, type JsonObject } from './frame-fields.js';
import { commonFields, type FrameContext } from './live-context.js';

/** Maps a `trade` event (`{e:"trade",E,s,t,p,q,T,m,M}`) to a trade record. */
export function mapBinanceTrade(event: JsonObject, context: FrameContext): TradeRecord {
  const cm = context.market === 'cm';
  const qty = dec(event, 'q');
  return {
    kind: 'trade',
    ...commonFields(context, str(event, 's'), timeUs(event, 'T'), 'ws'),
    version: makeVersion('ws', context.receiveMs, true),
    tradeId: int(event, 't'),
    price: dec(event, 'p'),
    qty: cm ? null : qty,
    quoteQty: null,
    contracts: cm ? qty : null,
    baseQty: null,
    isBuyerMaker: bool(event, 'm'),
    isBestMatch: context.market === 'spot' ? optBool(event, 'M') : null,
  };
}

/** Maps an `aggTrade` event (`{e:"aggTrade",E,s,a,p,q,f,l,T,m[,M]}`) to an aggTrade record. */
export function mapBinanceAggTrade(event: JsonObject, context: FrameContext): AggTradeRecord {
  return mapAggTrade(event, str(event, 's'), context, 'ws');
}

/** Maps a REST aggTrades row (`{a,p,q,f,l,T,m[,M]}`) of `symbol` to an aggTrade record. */
export function mapBinanceRestAggTrade(row: JsonObject, symbol: string, context: FrameContext): AggTradeRecord {
  return mapAggTrade(row, symbol, context, 'rest');
}

function mapAggTrade(row: JsonObject, symbol: string, context: FrameContext, source: 'ws' | 'rest'): AggTradeRecord {
  const cm = context.market === 'cm';
  const qty = dec(row, 'q');
  return {
    kind: 'aggTrade',
    ...commonFields(context, symbol, timeUs(row, 'T'), source),
    version: makeVersion(source, context.receiveMs, true),
    aggTradeId: int(row, 'a'),
    price: dec(row, 'p'),
    qty: cm ? null : qty,
    contracts: cm ? qty : null,
    firstTradeId: int(row, 'f'),
    lastTradeId: int(row, 'l'),
    isBuyerMaker: bool(row, 'm'),
    isBestMatch: context.market === 'spot' ? optBool(row, 'M') : null,
  };
}

/**
 * Maps a REST trades row (`{id,price,qty,quoteQty,time,isBuyerMaker[,isBestMatch][,baseQty]}`) of `symbol`
 * to a trade record. COIN-M rows give `qty` in contracts and `baseQty` in the base asset.
 */
export function mapBinanceRestTrade(row: JsonObject, symbol: string, context: FrameContext): TradeRecord {
  const cm = context.market === 'cm';
  const qty = dec(row, 'qty');
  return {
    kind: 'trade',
    ...commonFields(context, symbol, timeUs(row, 'time'), 'rest'),
    version: makeVersion('rest', context.receiveMs, true),
    tradeId: int(row, 'id'),
    price: dec(row, 'price'),
    qty: cm ? null : qty,
    quoteQty: cm ? null : optDec(row, 'quoteQty'),
    contracts: cm ? qty : null,
    baseQty: cm ? optDec(row, 'baseQty') : null,
    isBuyerMaker: bool(row, 'isBuyerMaker'),
    isBestMatch: context.market === 'spot' ? optBool(row, 'isBestMatch') : null,
  };
}
