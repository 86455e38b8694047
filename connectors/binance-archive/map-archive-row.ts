/**
 * The context every archive row mapper shares, and the choice of mapper for a file. A mapper is a pure
 * function from the cells of one CSV row to one record; it throws a `DecodeError` on a malformed row.
 */
import type { Market, PriceKind } from '../../schemas/ids.js';
import type { KlineInterval } from '../../schemas/interval.js';
import type { AnyRecord } from '../../schemas/records.js';
import type { ArchiveDataType } from './data-types.js';
import { DATA_TYPE_SPECS } from './data-types.js';
import { mapArchiveKline } from './map-archive-kline.js';
import { mapArchiveAggTrade, mapArchiveTrade } from './map-archive-trade.js';
import { mapArchiveBookDepth, mapArchiveBookTicker, mapArchiveFundingRate, mapArchiveLiquidation, mapArchiveMetrics } from './map-archive-futures.js';
import { mapArchiveBvolIndex, mapArchiveEohSummary } from './map-archive-option.js';

/** What a mapper needs besides the cells: where the row came from. */
export interface RowContext {
  readonly market: Market;
  readonly symbol: string;
  /** Kline interval (kline-class types), else null. */
  readonly interval: KlineInterval | null;
  /** Kline price kind (kline-class types), else null. */
  readonly priceKind: PriceKind | null;
  /** Lineage: the archive object key. */
  readonly ingestId: string;
  /** Record version (schemas/version.ts), from the object's LastModified. */
  readonly version: number;
}

/** Maps the cells of one row to a record; throws `DecodeError` on a malformed row. */
export type RowMapper = (cells: readonly string[], context: RowContext) => AnyRecord;

const MAPPERS: Record<ArchiveDataType, RowMapper> = {
  klines: mapArchiveKline, indexPriceKlines: mapArchiveKline, markPriceKlines: mapArchiveKline,
  premiumIndexKlines: mapArchiveKline, trades: mapArchiveTrade, aggTrades: mapArchiveAggTrade,
  fundingRate: mapArchiveFundingRate, bookTicker: mapArchiveBookTicker, bookDepth: mapArchiveBookDepth,
  metrics: mapArchiveMetrics, liquidationSnapshot: mapArchiveLiquidation, BVOLIndex: mapArchiveBvolIndex,
  EOHSummary: mapArchiveEohSummary,
};

/** The row mapper of a data type. */
export function rowMapperFor(dataType: ArchiveDataType): RowMapper {
  return MAPPERS[dataType];
}

/** The price kind of a data type (kline-class only), else null. */
export function priceKindOf(dataType: ArchiveDataType): PriceKind | null {
  return DATA_TYPE_SPECS[dataType].priceKind ?? null;
}
