/**
 * Trade and aggregate-trade rows. Trades: spot `id, price, qty, quoteQty, time, isBuyerMaker, isBestMatch`
 * (7 columns, `True/False`); um `id, price, qty, quote_qty, time, is_buyer_maker`; cm `id, price, qty,
 * base_qty, time, is_buyer_maker` with qty in contracts. AggTrades: spot 8 columns (with isBestMatch), um/cm
 * 7 columns; cm quantity in contracts. Times in ms or µs per value; booleans in either spelling.
 */
import type { AggTradeRecord, TradeRecord } from '../../schemas/records.js';
import { bool, epochUs, expectColumns, int, num } from './map-archive-cells.js';
import type { RowContext } from './row-context.js';

/** Maps one archive trades row. */
export function mapArchiveTrade(c: readonly string[], x: RowContext): TradeRecord {
  const spot = x.market === 'spot';
  const coinM = x.market === 'cm';
  expectColumns(c, spot ? 7 : 6, `${x.market} trade`);
  const qty = num(c[2], 'qty');
  const fourth = num(c[3], coinM ? 'base_qty' : 'quote_qty');
  return {
    kind: 'trade', exchange: 'binance', market: x.market, symbol: x.symbol, eventTimeUs: epochUs(c[4], 'time'),
    source: 'archive', receiveTimeUs: null, ingestId: x.ingestId, version: x.version,
    tradeId: int(c[0], 'id'), price: num(c[1], 'price'),
    qty: coinM ? null : qty, quoteQty: coinM ? null : fourth, contracts: coinM ? qty : null, baseQty: coinM ? fourth : null,
    isBuyerMaker: bool(c[5], 'is_buyer_maker'), isBestMatch: spot ? bool(c[6], 'is_best_match') : null,
  };
}

/** Maps one archive aggTrades row. */
export function mapArchiveAggTrade(c: readonly string[], x: RowContext): AggTradeRecord {
  const spot = x.market === 'spot';
  const coinM = x.market === 'cm';
  expectColumns(c, spot ? 8 : 7, `${x.market} aggTrade`);
  const quantity = num(c[2], 'quantity');
  return {
    kind: 'aggTrade', exchange: 'binance', market: x.market, symbol: x.symbol, eventTimeUs: epochUs(c[5], 'transact_time'),
    source: 'archive', receiveTimeUs: null, ingestId: x.ingestId, version: x.version,
    aggTradeId: int(c[0], 'agg_trade_id'), price: num(c[1], 'price'),
    qty: coinM ? null : quantity, contracts: coinM ? quantity : null,
    firstTradeId: int(c[3], 'first_trade_id'), lastTradeId: int(c[4], 'last_trade_id'),
    isBuyerMaker: bool(c[6], 'is_buyer_maker'), isBestMatch: spot ? bool(c[7], 'is_best_match') : null,
  };
}
