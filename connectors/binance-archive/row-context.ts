/**
 * The context every archive row mapper shares. A mapper is a pure function from one CSV row (read through a
 * {@link RowCursor}) to one record; it throws a `DecodeError` on a malformed row.
 */
import type { Market, PriceKind } from '../../schemas/ids.js';
import type { KlineInterval } from '../../schemas/interval.js';
import type { AnyRecord } from '../../schemas/records.js';
import type { RowCursor } from './row-cursor.js';

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

/** Maps one row, read through a cursor, to a record; throws `DecodeError` on a malformed row. */
export type RowMapper = (row: RowCursor, context: RowContext) => AnyRecord;
