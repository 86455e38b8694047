/**
 * The context every archive row mapper shares. A mapper is a pure function from the cells of one CSV row to
 * one record; it throws a `DecodeError` on a malformed row.
 */
import type { Market, PriceKind } from '../../schemas/ids.js';
import type { KlineInterval } from '../../schemas/interval.js';
import type { AnyRecord } from '../../schemas/records.js';

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
