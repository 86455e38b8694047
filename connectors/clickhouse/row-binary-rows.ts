/**
 * The early encoding the ClickHouse sink takes (connectors/sink.ts `EncodedRows`): RowBinary of the kind's field
 * table, made by connectors/clickhouse/map-row-binary.ts as a backfill parses.
 */
import type { EncodedRows } from '../sink.js';

/** RowBinary rows, columns in field-table order. */
export interface RowBinaryRows extends EncodedRows {
  readonly format: 'RowBinary';
  /** The body, in order: the bodies of several batches may be sent one after another. */
  readonly chunks: readonly Buffer[];
  /**
   * String columns left out of every row because every row has this value (an archive file's `ingestId`,
   * symbol, market…: half the bytes of a trade). Only for a staged batch: the sink gives them as the column
   * defaults of the staging table it creates, which no other table would do. Absent: every field is in the rows.
   */
  readonly constants?: Readonly<Record<string, string>>;
}

/** Whether an encoded batch is RowBinary (the only encoding the ClickHouse sink takes). */
export function isRowBinaryRows(encoded: EncodedRows): encoded is RowBinaryRows {
  return encoded.format === 'RowBinary';
}
