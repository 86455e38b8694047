/**
 * Pure mapping of plain records onto Arrow column data, typed by the kind's Parquet layout
 * (schemas/parquet-schema.ts): `long` → Int64 (exact below 2^53), `int` → Int32, `double` → Float64,
 * `boolean` → Bool, strings → Utf8, `doubleArray` → List<Float64>. Buffers are built directly (no per-value
 * Arrow builders), which is what makes the parquet-wasm path fast.
 */
import {
  Bool, Field, Float64, Int32, Int64, List, RecordBatch, Schema, Struct, Utf8, makeData,
  type Data, type DataType,
} from 'apache-arrow';
import type { ParquetColumn } from '../../schemas/parquet-schema.js';

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

/** Validity bitmap (LSB first) and null count of one column; `undefined` bitmap when nothing is null. */
function validityOf(rows: readonly Row[], name: string): { nullBitmap?: Uint8Array; nullCount: number } {
  let nullCount = 0;
  const bitmap = new Uint8Array((rows.length + 7) >> 3);
  for (let i = 0; i < rows.length; i++) {
    const value = rows[i][name];
    if (value === null || value === undefined) nullCount++;
    else bitmap[i >> 3] |= 1 << (i & 7);
  }
  return nullCount === 0 ? { nullCount } : { nullBitmap: bitmap, nullCount };
}

function numberData(rows: readonly Row[], column: ParquetColumn): Data {
  const validity = validityOf(rows, column.name);
  const length = rows.length;
  if (column.type === 'INT64') {
    // Little-endian lo/hi 32-bit words written directly: exact for |v| < 2^53, no BigInt per value.
    const values = new BigInt64Array(length);
    const words = new Int32Array(values.buffer);
    for (let i = 0; i < length; i++) {
      const v = rows[i][column.name];
      if (typeof v !== 'number') continue;
      const hi = Math.floor(v / 4294967296);
      words[2 * i] = v - hi * 4294967296;
      words[2 * i + 1] = hi;
    }
    return makeData({ type: new Int64(), length, data: values, ...validity });
  }
  if (column.type === 'INT32') {
    const values = new Int32Array(length);
    for (let i = 0; i < length; i++) values[i] = (rows[i][column.name] as number | null) ?? 0;
    return makeData({ type: new Int32(), length, data: values, ...validity });
  }
  const values = new Float64Array(length);
  for (let i = 0; i < length; i++) values[i] = (rows[i][column.name] as number | null) ?? 0;
  return makeData({ type: new Float64(), length, data: values, ...validity });
}

function boolData(rows: readonly Row[], name: string): Data {
  const values = new Uint8Array((rows.length + 7) >> 3);
  for (let i = 0; i < rows.length; i++) if (rows[i][name] === true) values[i >> 3] |= 1 << (i & 7);
  return makeData({ type: new Bool(), length: rows.length, data: values, ...validityOf(rows, name) });
}

function utf8Data(rows: readonly Row[], name: string): Data {
  const offsets = new Int32Array(rows.length + 1);
  let bound = 0;
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i][name];
    if (typeof v === 'string') bound += v.length * 3; // a UTF-16 unit never needs more than 3 UTF-8 bytes
  }
  const data = Buffer.allocUnsafe(bound);
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i][name];
    if (typeof v === 'string') bytes += data.write(v, bytes, 'utf8');
    offsets[i + 1] = bytes;
  }
  const values = new Uint8Array(data.buffer, data.byteOffset, bytes);
  return makeData({ type: new Utf8(), length: rows.length, valueOffsets: offsets, data: values, ...validityOf(rows, name) });
}

function listData(rows: readonly Row[], column: ParquetColumn): Data {
  const offsets = new Int32Array(rows.length + 1);
  let total = 0;
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i][column.name];
    if (Array.isArray(v)) total += v.length;
    offsets[i + 1] = total;
  }
  const items = new Float64Array(total);
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i][column.name];
    if (Array.isArray(v)) items.set(v as number[], offsets[i]);
  }
  const type = arrowTypeOf(column) as List<Float64>;
  const child = makeData({ type: new Float64(), length: total, data: items });
  return makeData({ type, length: rows.length, valueOffsets: offsets, child, ...validityOf(rows, column.name) });
}

function columnData(rows: readonly Row[], column: ParquetColumn): Data {
  switch (column.type) {
    case 'UTF8': return utf8Data(rows, column.name);
    case 'BOOLEAN': return boolData(rows, column.name);
    case 'LIST<DOUBLE>': return listData(rows, column);
    default: return numberData(rows, column);
  }
}

/** One Arrow record batch holding `rows` in the given column layout. */
export function mapArrowBatch(rows: readonly Row[], columns: readonly ParquetColumn[]): RecordBatch {
  const schema = new Schema(columns.map(arrowFieldOf));
  const children = columns.map((column) => columnData(rows, column));
  const data = makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children });
  return new RecordBatch(schema, data);
}
