/**
 * Futures-only archive rows: fundingRate (`calc_time, funding_interval_hours, last_funding_rate`; calc_time
 * jitters a few ms after the mark, so fundingTimeUs is it floored to the minute and calcTimeUs keeps it),
 * bookTicker, bookDepth (text timestamp), metrics (text create_time) and liquidationSnapshot.
 */
import type {
  BookDepthRecord, BookTickerRecord, FundingRateRecord, LiquidationRecord, MetricsRecord,
} from '../../schemas/records.js';
import { US_PER_MINUTE } from '../../schemas/time.js';
import type { RowCursor } from './row-cursor.js';
import type { RowContext } from './row-context.js';

const common = (x: RowContext, eventTimeUs: number) => ({
  exchange: 'binance' as const, market: x.market, symbol: x.symbol, eventTimeUs,
  source: 'archive' as const, receiveTimeUs: null, ingestId: x.ingestId, version: x.version,
});

/** Maps one fundingRate row. */
export function mapArchiveFundingRate(r: RowCursor, x: RowContext): FundingRateRecord {
  r.begin(3, 'fundingRate');
  const calcTimeUs = r.epochUs('calc_time');
  const fundingIntervalHours = r.int('funding_interval_hours');
  const fundingRate = r.num('last_funding_rate');
  r.done();
  const fundingTimeUs = Math.floor(calcTimeUs / US_PER_MINUTE) * US_PER_MINUTE;
  return { kind: 'fundingRate', ...common(x, fundingTimeUs), fundingTimeUs, calcTimeUs, fundingRate, fundingIntervalHours, markPrice: null };
}

/** Maps one bookTicker row: `update_id, best_bid_price, best_bid_qty, best_ask_price, best_ask_qty, transaction_time, event_time`. */
export function mapArchiveBookTicker(r: RowCursor, x: RowContext): BookTickerRecord {
  r.begin(7, 'bookTicker');
  const updateId = r.int('update_id');
  const bidPrice = r.num('best_bid_price'); const bidQty = r.num('best_bid_qty');
  const askPrice = r.num('best_ask_price'); const askQty = r.num('best_ask_qty');
  const transactionTimeUs = r.epochUs('transaction_time');
  const eventTimeUs = r.epochUs('event_time');
  r.done();
  return { kind: 'bookTicker', ...common(x, eventTimeUs), updateId, bidPrice, bidQty, askPrice, askQty, transactionTimeUs };
}

/** Maps one bookDepth row: `timestamp (text), percentage, depth, notional`. */
export function mapArchiveBookDepth(r: RowCursor, x: RowContext): BookDepthRecord {
  r.begin(4, 'bookDepth');
  const eventTimeUs = r.textTimeUs('timestamp');
  const percentage = r.num('percentage'); const depth = r.num('depth'); const notional = r.num('notional');
  r.done();
  return { kind: 'bookDepth', ...common(x, eventTimeUs), percentage, depth, notional };
}

/** Maps one metrics row: `create_time (text), symbol, sum_open_interest, …, sum_taker_long_short_vol_ratio`. */
export function mapArchiveMetrics(r: RowCursor, x: RowContext): MetricsRecord {
  r.begin(8, 'metrics');
  const eventTimeUs = r.textTimeUs('create_time');
  r.skip();
  const record: MetricsRecord = {
    kind: 'metrics', ...common(x, eventTimeUs),
    sumOpenInterest: r.numOrNull('sum_open_interest'), sumOpenInterestValue: r.numOrNull('sum_open_interest_value'),
    countTopTraderLongShortRatio: r.numOrNull('count_toptrader_long_short_ratio'),
    sumTopTraderLongShortRatio: r.numOrNull('sum_toptrader_long_short_ratio'),
    countLongShortRatio: r.numOrNull('count_long_short_ratio'),
    sumTakerLongShortVolRatio: r.numOrNull('sum_taker_long_short_vol_ratio'),
  };
  r.done();
  return record;
}

/** Maps one liquidationSnapshot row (10 columns, time in ms). */
export function mapArchiveLiquidation(r: RowCursor, x: RowContext): LiquidationRecord {
  r.begin(10, 'liquidationSnapshot');
  const eventTimeUs = r.epochUs('time');
  const side = r.text('side'); const orderType = r.text('order_type'); const timeInForce = r.text('time_in_force');
  const origQty = r.num('original_quantity'); const price = r.num('price'); const avgPrice = r.numOrNull('average_price');
  const orderStatus = r.text('order_status');
  const lastFilledQty = r.numOrNull('last_fill_quantity'); const filledAccumulatedQty = r.numOrNull('accumulated_fill_quantity');
  r.done();
  return {
    kind: 'liquidation', ...common(x, eventTimeUs), side, orderType, timeInForce, price, avgPrice, origQty,
    lastFilledQty, filledAccumulatedQty, orderStatus,
  };
}
