/**
 * Futures-only archive rows: fundingRate (`calc_time, funding_interval_hours, last_funding_rate`; calc_time
 * jitters a few ms after the mark, so fundingTimeUs is it floored to the minute and calcTimeUs keeps it),
 * bookTicker, bookDepth (text timestamp), metrics (text create_time) and liquidationSnapshot.
 */
import type {
  BookDepthRecord, BookTickerRecord, FundingRateRecord, LiquidationRecord, MetricsRecord,
} from '../../schemas/records.js';
import { US_PER_MINUTE } from '../../schemas/time.js';
import { epochUs, expectColumns, int, num, numOrNull, str, textTimeUs } from './map-archive-cells.js';
import type { RowContext } from './row-context.js';

const common = (x: RowContext, eventTimeUs: number) => ({
  exchange: 'binance' as const, market: x.market, symbol: x.symbol, eventTimeUs,
  source: 'archive' as const, receiveTimeUs: null, ingestId: x.ingestId, version: x.version,
});

/** Maps one fundingRate row. */
export function mapArchiveFundingRate(c: readonly string[], x: RowContext): FundingRateRecord {
  expectColumns(c, 3, 'fundingRate');
  const calcTimeUs = epochUs(c[0], 'calc_time');
  const fundingTimeUs = Math.floor(calcTimeUs / US_PER_MINUTE) * US_PER_MINUTE;
  return {
    kind: 'fundingRate', ...common(x, fundingTimeUs), fundingTimeUs, calcTimeUs,
    fundingRate: num(c[2], 'last_funding_rate'), fundingIntervalHours: int(c[1], 'funding_interval_hours'), markPrice: null,
  };
}

/** Maps one bookTicker row: `update_id, best_bid_price, best_bid_qty, best_ask_price, best_ask_qty, transaction_time, event_time`. */
export function mapArchiveBookTicker(c: readonly string[], x: RowContext): BookTickerRecord {
  expectColumns(c, 7, 'bookTicker');
  return {
    kind: 'bookTicker', ...common(x, epochUs(c[6], 'event_time')), updateId: int(c[0], 'update_id'),
    bidPrice: num(c[1], 'best_bid_price'), bidQty: num(c[2], 'best_bid_qty'),
    askPrice: num(c[3], 'best_ask_price'), askQty: num(c[4], 'best_ask_qty'),
    transactionTimeUs: epochUs(c[5], 'transaction_time'),
  };
}

/** Maps one bookDepth row: `timestamp (text), percentage, depth, notional`. */
export function mapArchiveBookDepth(c: readonly string[], x: RowContext): BookDepthRecord {
  expectColumns(c, 4, 'bookDepth');
  return {
    kind: 'bookDepth', ...common(x, textTimeUs(c[0], 'timestamp')),
    percentage: num(c[1], 'percentage'), depth: num(c[2], 'depth'), notional: num(c[3], 'notional'),
  };
}

/** Maps one metrics row: `create_time (text), symbol, sum_open_interest, …, sum_taker_long_short_vol_ratio`. */
export function mapArchiveMetrics(c: readonly string[], x: RowContext): MetricsRecord {
  expectColumns(c, 8, 'metrics');
  return {
    kind: 'metrics', ...common(x, textTimeUs(c[0], 'create_time')),
    sumOpenInterest: numOrNull(c[2], 'sum_open_interest'), sumOpenInterestValue: numOrNull(c[3], 'sum_open_interest_value'),
    countTopTraderLongShortRatio: numOrNull(c[4], 'count_toptrader_long_short_ratio'),
    sumTopTraderLongShortRatio: numOrNull(c[5], 'sum_toptrader_long_short_ratio'),
    countLongShortRatio: numOrNull(c[6], 'count_long_short_ratio'),
    sumTakerLongShortVolRatio: numOrNull(c[7], 'sum_taker_long_short_vol_ratio'),
  };
}

/** Maps one liquidationSnapshot row (10 columns, time in ms). */
export function mapArchiveLiquidation(c: readonly string[], x: RowContext): LiquidationRecord {
  expectColumns(c, 10, 'liquidationSnapshot');
  return {
    kind: 'liquidation', ...common(x, epochUs(c[0], 'time')), side: str(c[1], 'side'), orderType: str(c[2], 'order_type'),
    timeInForce: str(c[3], 'time_in_force'), origQty: num(c[4], 'original_quantity'), price: num(c[5], 'price'),
    avgPrice: numOrNull(c[6], 'average_price'), orderStatus: str(c[7], 'order_status'),
    lastFilledQty: numOrNull(c[8], 'last_fill_quantity'), filledAccumulatedQty: numOrNull(c[9], 'accumulated_fill_quantity'),
  };
}
