/**
 * Pure mapping of plain records onto Arrow column data, typed by the kind's Parquet layout
 * (schemas/parquet-schema.ts): `long` → Int64 (exact below 2^53), `int` → Int32, `double` → Float64,
 * `boolean` → Bool, strings → Utf8, `doubleArray` → List<Float64>. Values are read in one row-major pass by
 * read-columns.ts, then buffers are built directly (no per-value Arrow builders), which is what makes the
 * parquet-wasm path fast. A value of the wrong JS type, or a null in a required column, is a non-retriable
 * `SinkWriteError` naming the column and row (never silently null).
 */
import {
  Bool, Field, Float64, Int32, Int64, List, RecordBatch, Schema, Struct, Utf8, makeData,
  type Data, type DataType,
} from 'apache-arrow';
import type { ParquetColumn } from '../../schemas/parquet-schema.js';
import { readColumns, type ColumnValues } from './read-columns.js';

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

function numberData(column: ColumnValues & { type: 'INT64' | 'INT32' | 'DOUBLE' }): Data {
  const type = column.type === 'INT64' ? new Int64() : column.type === 'INT32' ? new Int32() : new Float64();
  const { values } = column;
  return makeData({ type, length: values.length, data: values, ...column.nulls.props() } as Parameters<typeof makeData>[0]) as Data;
}

function boolData(column: ColumnValues & { type: 'BOOLEAN' }, length: number): Data {
  return makeData({ type: new Bool(), length, data: column.values, ...column.nulls.props() });
}

/**
 * Writes `value` as UTF-8 at `at`, returning the byte count. Short ASCII strings are copied in JS (a native
 * `Buffer.write` call costs more than the copy); anything else goes through `Buffer.write`.
 */
function writeUtf8(data: Buffer, at: number, value: string): number {
  const length = value.length;
  if (length > 64) return data.write(value, at, 'utf8');
  for (let j = 0; j < length; j++) {
    const code = value.charCodeAt(j);
    if (code >= 0x80) return data.write(value, at, 'utf8');
    data[at + j] = code;
  }
  return length;
}

/**
 * Extends `data[from, to)` — one value's bytes — by `count` more bytes repeating it, with copies that double
 * in length (a run of n equal strings costs O(log n) native copies, not n).
 */
function repeatTail(data: Buffer, from: number, to: number, count: number): void {
  let copied = 0;
  while (copied < count) {
    const chunk = Math.min(to - from + copied, count - copied);
    data.copyWithin(to + copied, from, from + chunk);
    copied += chunk;
  }
}

function utf8Data(column: ColumnValues & { type: 'UTF8' }): Data {
  const strings = column.values;
  const length = strings.length;
  const offsets = new Int32Array(length + 1);
  let bound = 0;
  for (let i = 0; i < length; i++) {
    const v = strings[i];
    if (typeof v === 'string') bound += v.length * 3; // a UTF-16 unit never needs more than 3 UTF-8 bytes
  }
  const data = Buffer.allocUnsafe(bound);
  let bytes = 0;
  let previous: string | undefined;
  let previousStart = 0;
  for (let i = 0; i < length; i++) {
    const v = strings[i];
    if (typeof v !== 'string') {
      offsets[i + 1] = bytes; // null: the validity bit was cleared by readColumns
    } else if (v === previous) { // runs of one value (symbol, market, file id) are the common case
      let end = i + 1;
      while (end < length && strings[end] === v) end++;
      const size = bytes - previousStart; // the previous value's bytes end exactly at `bytes`
      repeatTail(data, previousStart, bytes, size * (end - i));
      for (let k = i; k < end; k++) offsets[k + 1] = bytes += size;
      previousStart = bytes - size;
      i = end - 1;
    } else {
      previous = v;
      previousStart = bytes;
      bytes += writeUtf8(data, bytes, v);
      offsets[i + 1] = bytes;
    }
  }
  const values = new Uint8Array(data.buffer, data.byteOffset, bytes);
  return makeData({ type: new Utf8(), length, valueOffsets: offsets, data: values, ...column.nulls.props() });
}

function listData(column: ColumnValues & { type: 'LIST<DOUBLE>' }, type: List<Float64>): Data {
  const lists = column.values;
  const length = lists.length;
  const offsets = new Int32Array(length + 1);
  let total = 0;
  for (let i = 0; i < length; i++) {
    const v = lists[i];
    if (Array.isArray(v)) total += v.length;
    offsets[i + 1] = total;
  }
  const items = new Float64Array(total);
  for (let i = 0; i < length; i++) {
    const v = lists[i];
    if (Array.isArray(v)) items.set(v as number[], offsets[i]);
  }
  const child = makeData({ type: new Float64(), length: total, data: items });
  return makeData({ type, length, valueOffsets: offsets, child, ...column.nulls.props() });
}

function columnData(values: ColumnValues, column: ParquetColumn, length: number): Data {
  switch (values.type) {
    case 'UTF8': return utf8Data(values);
    case 'BOOLEAN': return boolData(values, length);
    case 'LIST<DOUBLE>': return listData(values, arrowTypeOf(column) as List<Float64>);
    default: return numberData(values);
  }
}

/** One Arrow record batch holding `rows` in the given column layout. */
export function mapArrowBatch(rows: readonly Row[], columns: readonly ParquetColumn[]): RecordBatch {
  const schema = new Schema(columns.map(arrowFieldOf));
  const values = readColumns(rows, columns);
  const children = columns.map((column, k) => columnData(values[k], column, rows.length));
  const data = makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children });
  return new RecordBatch(schema, data);
}
