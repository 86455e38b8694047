/**
 * Encodes records of one kind into a complete Parquet file in memory with parquet-wasm (parquet-rs) over
 * Apache Arrow: SNAPPY, dictionary encoding only on the low-cardinality string columns, DELTA_BINARY_PACKED
 * INT64 for longs, min/max statistics on every column but strings. Chosen over parquetjs-lite and
 * hyparquet-writer by `bench/parquet.ts`.
 *
 * Memory: one file's rows are held as Arrow buffers plus the encoded bytes; callers bound file size by
 * bounding batch size. The wasm objects are consumed (freed) by each call.
 */
import { tableToIPC, Table as ArrowTable } from 'apache-arrow';
import { Compression, EnabledStatistics, Encoding, Table as WasmTable, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm';
import type { ParquetColumn } from '../../schemas/parquet-schema.js';
import { arrowBatchOf } from './map-arrow-columns.js';
import { mapColumnBuffers, type ColumnBuffers } from './map-column-buffers.js';

/** Options of {@link encodeParquet}. */
export interface EncodeParquetOptions {
  /** Rows per row group. @default 131072 */
  readonly maxRowGroupRows?: number;
}

function writerProperties(columns: readonly ParquetColumn[], maxRowGroupRows: number) {
  let builder = new WriterPropertiesBuilder()
    .setCompression(Compression.SNAPPY)
    .setDictionaryEnabled(false)
    .setMaxRowGroupSize(maxRowGroupRows)
    .setCreatedBy('crypto-lakehouse (parquet-wasm)');
  for (const column of columns) {
    if (column.dictionary) builder = builder.setColumnDictionaryEnabled(column.name, true);
    // Min/max of strings cost ~20% of the writer and prune nothing: the low-cardinality ones are (or sit
    // beside) Hive partition keys, the rest are ids. Numeric and time columns keep their statistics.
    if (column.type === 'UTF8') builder = builder.setColumnStatisticsEnabled(column.name, EnabledStatistics.None);
    // Times, ids and versions are near-sorted: delta-packed they take ~40% less space at the same CPU.
    if (column.type === 'INT64') builder = builder.setColumnEncoding(column.name, Encoding.DELTA_BINARY_PACKED);
  }
  return builder.build();
}

/** A complete Parquet file holding `rows` (plain objects keyed by column name) with the given columns. */
export function encodeParquet(
  rows: readonly Readonly<Record<string, unknown>>[],
  columns: readonly ParquetColumn[],
  options: EncodeParquetOptions = {},
): Uint8Array {
  return encodeParquetColumns(mapColumnBuffers(rows, columns), columns, options);
}

/**
 * A complete Parquet file from column buffers already mapped by `mapColumnBuffers` (the part of
 * {@link encodeParquet} that needs no records, so it can run in a worker thread: see parquet-encoder.ts).
 * The output is byte for byte that of `encodeParquet` on the same rows.
 */
export function encodeParquetColumns(
  buffers: ColumnBuffers,
  columns: readonly ParquetColumn[],
  options: EncodeParquetOptions = {},
): Uint8Array {
  const maxRowGroupRows = options.maxRowGroupRows ?? 131_072;
  const ipc = tableToIPC(new ArrowTable(arrowBatchOf(buffers, columns)), 'stream');
  // writeParquet takes ownership of (and frees) both wasm objects.
  return writeParquet(WasmTable.fromIPCStream(ipc), writerProperties(columns, maxRowGroupRows));
}
