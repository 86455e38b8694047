/** The choice of row mapper for a data type (see row-context.ts for the mapper contract). */
import type { PriceKind } from '../../schemas/ids.js';
import type { ArchiveDataType } from './data-types.js';
import { DATA_TYPE_SPECS } from './data-types.js';
import { mapArchiveKline } from './map-archive-kline.js';
import type { RowMapper } from './row-context.js';
import { mapArchiveAggTrade, mapArchiveTrade } from './map-archive-trade.js';
import { mapArchiveBookDepth, mapArchiveBookTicker, mapArchiveFundingRate, mapArchiveLiquidation, mapArchiveMetrics } from './map-archive-futures.js';
import { mapArchiveBvolIndex, mapArchiveEohSummary } from './map-archive-option.js';

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

export type { RowContext, RowMapper } from './row-context.js';
