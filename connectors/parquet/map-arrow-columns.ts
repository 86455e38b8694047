/**
 * Pure mapping of column buffers (map-column-buffers.ts) onto Arrow column data, typed by the kind's Parquet
 * layout (schemas/parquet-schema.ts): `long` → Int64 (exact below 2^53), `int` → Int32, `double` → Float64,
 * `boolean` → Bool, strings → Utf8, `doubleArray` → List<Float64>. The buffers become the Arrow buffers as they
 * are (no per-value Arrow builders, no copies), which is what makes the parquet-wasm path fast.
 */
import {
  Bool, Field, Float64, Int32, Int64, List, RecordBatch, Schema, Struct, Utf8, makeData,
  type Data, type DataType,
} from 'apache-arrow';
import type { ParquetColumn } from '../../schemas/parquet-schema.js';
import { mapColumnBuffers, type ColumnBuffer, type ColumnBuffers } from './map-column-buffers.js';

type Row = Readonly<Record<string, unknown>>;

/** The Arrow field of one Parquet column (nullable exactly when the column is optional). */
export function arrowFieldOf(column: ParquetColumn): Field {
  return new Field(column.name, arrowTypeOf(column), column.optional);
}

function arrowTypeOf(column: ParquetColumn): DataType {
  switch (column.type) {
    case 'INT64': return new Int64();
    case 'INT32': return new Int32();
    case 'DOUBLE': return new Float64();
    case 'BOOLEAN': return new Bool();
    case 'UTF8': return new Utf8();
    case 'LIST<DOUBLE>': return new List(new Field('item', new Float64(), false));
  }
}

function columnData(buffer: ColumnBuffer, column: ParquetColumn, length: number): Data {
  const validity = buffer.nullBitmap === undefined ? { nullCount: 0 } : { nullBitmap: buffer.nullBitmap, nullCount: buffer.nullCount };
  switch (buffer.type) {
    case 'UTF8':
      return makeData({ type: new Utf8(), length, valueOffsets: buffer.offsets, data: buffer.data, ...validity });
    case 'LIST<DOUBLE>': {
      const child = makeData({ type: new Float64(), length: buffer.items.length, data: buffer.items });
      return makeData({ type: arrowTypeOf(column) as List<Float64>, length, valueOffsets: buffer.offsets, child, ...validity });
    }
    case 'BOOLEAN':
      return makeData({ type: new Bool(), length, data: buffer.values, ...validity });
    default:
      return makeData({ type: arrowTypeOf(column), length, data: buffer.values, ...validity } as unknown as Parameters<typeof makeData>[0]) as Data;
  }
}

/** One Arrow record batch over `buffers` (built by {@link mapColumnBuffers} with the same `columns`). */
export function arrowBatchOf(buffers: ColumnBuffers, columns: readonly ParquetColumn[]): RecordBatch {
  const schema = new Schema(columns.map(arrowFieldOf));
  const children = columns.map((column, k) => columnData(buffers.columns[k], column, buffers.length));
  const data = makeData({ type: new Struct(schema.fields), length: buffers.length, nullCount: 0, children });
  return new RecordBatch(schema, data);
}

/**
 * One Arrow record batch holding `rows` in the given column layout. A value of the wrong JS type, or a null
 * in a required column, is a non-retriable `SinkWriteError` naming the column and row (never silently null).
 */
export function mapArrowBatch(rows: readonly Row[], columns: readonly ParquetColumn[]): RecordBatch {
  return arrowBatchOf(mapColumnBuffers(rows, columns), columns);
}
