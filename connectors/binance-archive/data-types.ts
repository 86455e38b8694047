/**
 * The archive's data types per market (docs/BINANCE.md §2): which markets publish a type, whether it
 * comes in daily and/or monthly files, whether it has an interval sub-folder, and the record kind it maps to.
 * Availability of individual files is discovered from the bucket listing; this table only says what can
 * exist at all, so that impossible requests are rejected before any network call.
 */
import type { Market, PriceKind } from '../../schemas/ids.js';
import type { KlineInterval } from '../../schemas/interval.js';
import type { KindName } from '../../schemas/records.js';

/** Every data type folder name of data.binance.vision. */
export const ARCHIVE_DATA_TYPES = [
  'klines', 'indexPriceKlines', 'markPriceKlines', 'premiumIndexKlines', 'trades', 'aggTrades', 'fundingRate',
  'bookTicker', 'bookDepth', 'metrics', 'liquidationSnapshot', 'BVOLIndex', 'EOHSummary',
] as const;
export type ArchiveDataType = (typeof ARCHIVE_DATA_TYPES)[number];

/** File periods: one file per UTC day or per calendar month. */
export const ARCHIVE_PERIODS = ['daily', 'monthly'] as const;
export type ArchivePeriod = (typeof ARCHIVE_PERIODS)[number];

/** What the archive publishes for one data type. */
export interface DataTypeSpec {
  readonly dataType: ArchiveDataType;
  readonly kind: KindName;
  readonly markets: readonly Market[];
  readonly daily: boolean;
  readonly monthly: boolean;
  /** Kline-class types live in an interval sub-folder and name files `SYMBOL-interval-date`. */
  readonly hasInterval: boolean;
  /** For kline-class types: the price the candles are built from. */
  readonly priceKind?: PriceKind;
}

const FUTURES: readonly Market[] = ['um', 'cm'];
const ALL_TRADING: readonly Market[] = ['spot', 'um', 'cm'];

const spec = (
  dataType: ArchiveDataType, kind: KindName, markets: readonly Market[], daily: boolean, monthly: boolean,
  priceKind?: PriceKind,
): DataTypeSpec => ({ dataType, kind, markets, daily, monthly, hasInterval: priceKind !== undefined, priceKind });

/** The data type table (docs/BINANCE.md §2). */
export const DATA_TYPE_SPECS: Readonly<Record<ArchiveDataType, DataTypeSpec>> = {
  klines: spec('klines', 'kline', ALL_TRADING, true, true, 'trade'),
  indexPriceKlines: spec('indexPriceKlines', 'kline', FUTURES, true, true, 'index'),
  markPriceKlines: spec('markPriceKlines', 'kline', FUTURES, true, true, 'mark'),
  premiumIndexKlines: spec('premiumIndexKlines', 'kline', FUTURES, true, true, 'premium'),
  trades: spec('trades', 'trade', ALL_TRADING, true, true),
  aggTrades: spec('aggTrades', 'aggTrade', ALL_TRADING, true, true),
  fundingRate: spec('fundingRate', 'fundingRate', FUTURES, false, true),
  bookTicker: spec('bookTicker', 'bookTicker', FUTURES, true, true),
  bookDepth: spec('bookDepth', 'bookDepth', FUTURES, true, false),
  metrics: spec('metrics', 'metrics', FUTURES, true, false),
  liquidationSnapshot: spec('liquidationSnapshot', 'liquidation', FUTURES, true, false),
  BVOLIndex: spec('BVOLIndex', 'bvolIndex', ['option'], true, false),
  EOHSummary: spec('EOHSummary', 'eohSummary', ['option'], true, false),
};

/** Kline intervals published as daily files; `3d`, `1w` and `1M` exist in monthly files only. */
export const DAILY_KLINE_INTERVALS: readonly KlineInterval[] = [
  '1s', '1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d',
];

/** True when `text` names an archive data type. */
export function isArchiveDataType(text: string): text is ArchiveDataType {
  return (ARCHIVE_DATA_TYPES as readonly string[]).includes(text);
}

/** The path segment of a market: `spot`, `futures/um`, `futures/cm`, `option`. */
export function marketPath(market: Market): string {
  return market === 'um' || market === 'cm' ? `futures/${market}` : market;
}

/** Whether a type (with its interval, for klines) is published in files of `period`. */
export function hasPeriod(typeSpec: DataTypeSpec, period: ArchivePeriod, interval: KlineInterval | null): boolean {
  if (period === 'monthly') return typeSpec.monthly;
  if (!typeSpec.daily) return false;
  return interval === null || DAILY_KLINE_INTERVALS.includes(interval);
}
