/**
 * Trade and aggregate-trade rows. Trades: spot `id, price, qty, quoteQty, time, isBuyerMaker, isBestMatch`
 * (7 columns, `True/False`); um `id, price, qty, quote_qty, time, is_buyer_maker`; cm `id, price, qty,
 * base_qty, time, is_buyer_maker` with qty in contracts. AggTrades: spot 8 columns (with isBestMatch), um/cm
 * 7 columns; cm quantity in contracts. Times in ms or µs per value; booleans in either spelling.
 */
import type { AggTradeRecord, TradeRecord } from '../../schemas/records.js';
import type { RowCursor } from './row-cursor.js';
import type { RowContext } from './row-context.js';

/** Maps one archive trades row. */
export function mapArchiveTrade(r: RowCursor, x: RowContext): TradeRecord {
  const spot = x.market === 'spot';
  const coinM = x.market === 'cm';
  r.begin(spot ? 7 : 6, `${x.market} trade`);
  const tradeId = r.int('id');
  const price = r.num('price');
  const qty = r.num('qty');
  const fourth = r.num(coinM ? 'base_qty' : 'quote_qty');
  const eventTimeUs = r.epochUs('time');
  const isBuyerMaker = r.bool('is_buyer_maker');
  const isBestMatch = spot ? r.bool('is_best_match') : null;
  r.done();
  return {
    kind: 'trade', exchange: 'binance', market: x.market, symbol: x.symbol, eventTimeUs,
    source: 'archive', receiveTimeUs: null, ingestId: x.ingestId, version: x.version, tradeId, price,
    qty: coinM ? null : qty, quoteQty: coinM ? null : fourth, contracts: coinM ? qty : null, baseQty: coinM ? fourth : null,
    isBuyerMaker, isBestMatch,
  };
}

/** Maps one archive aggTrades row. */
export function mapArchiveAggTrade(r: RowCursor, x: RowContext): AggTradeRecord {
  const spot = x.market === 'spot';
  const coinM = x.market === 'cm';
  r.begin(spot ? 8 : 7, `${x.market} aggTrade`);
  const aggTradeId = r.int('agg_trade_id');
  const price = r.num('price');
  const quantity = r.num('quantity');
  const firstTradeId = r.int('first_trade_id');
  const lastTradeId = r.int('last_trade_id');
  const eventTimeUs = r.epochUs('transact_time');
  const isBuyerMaker = r.bool('is_buyer_maker');
  const isBestMatch = spot ? r.bool('is_best_match') : null;
  r.done();
  return {
    kind: 'aggTrade', exchange: 'binance', market: x.market, symbol: x.symbol, eventTimeUs,
    source: 'archive', receiveTimeUs: null, ingestId: x.ingestId, version: x.version, aggTradeId, price,
    qty: coinM ? null : quantity, contracts: coinM ? quantity : null, firstTradeId, lastTradeId, isBuyerMaker, isBestMatch,
  };
}
