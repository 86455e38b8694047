/**
 * The early encoding the Parquet lake sink takes (connectors/sink.ts `EncodedRows`): the lake's column buffers
 * (map-column-buffers.ts, in the kind's Parquet layout), made by lake-columns.ts as a backfill parses.
 */
import type { EncodedRows } from '../sink.js';
import type { ColumnBuffers } from './map-column-buffers.js';

/**
 * Rows already split into the lake's Hive cells: one Parquet file per cell, cells in first-seen order, rows
 * in input order within a cell — what the lake sink makes of the same records.
 */
export interface ParquetColumnRows extends EncodedRows {
  readonly format: 'ParquetColumns';
  readonly cells: readonly { readonly path: string; readonly buffers: ColumnBuffers }[];
}

/** Whether an encoded batch is the lake's column buffers (the only encoding the lake sink takes). */
export function isParquetColumnRows(encoded: EncodedRows): encoded is ParquetColumnRows {
  return encoded.format === 'ParquetColumns';
}

/** Bytes held by column buffers. */
export function columnBytesOf(cells: ParquetColumnRows['cells']): number {
  let bytes = 0;
  for (const { buffers } of cells) {
    for (const column of buffers.columns) {
      for (const value of Object.values(column)) if (ArrayBuffer.isView(value)) bytes += value.byteLength;
    }
  }
  return bytes;
}
