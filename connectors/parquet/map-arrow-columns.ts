/**
 * Pure mapping of plain records onto Arrow column data, typed by the kind's Parquet layout
 * (schemas/parquet-schema.ts): `long` → Int64 (exact below 2^53), `int` → Int32, `double` → Float64,
 * `boolean` → Bool, strings → Utf8, `doubleArray` → List<Float64>. Buffers are built directly (no per-value
 * Arrow builders), which is what makes the parquet-wasm path fast. A value of the wrong JS type, or a null in
 * a required column, is a non-retriable `SinkWriteError` naming the column and row (never silently null).
 */
import {
  Bool, Field, Float64, Int32, Int64, List, RecordBatch, Schema, Struct, Utf8, makeData,
  type Data, type DataType,
} from 'apache-arrow';
import { SinkWriteError } from '../../schemas/errors.js';
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

/** Validity bitmap (LSB first) built while the values are written; allocated at the first null only. */
class NullMask {
  private bitmap: Uint8Array | undefined;
  private count = 0;
  constructor(private readonly length: number) {}
  /** Marks row `i` null. */
  set(i: number): void {
    this.bitmap ??= new Uint8Array((this.length + 7) >> 3).fill(0xff);
    this.bitmap[i >> 3] &= ~(1 << (i & 7));
    this.count++;
  }
  /** The `makeData` validity props: no bitmap when nothing is null. */
  props(): { nullBitmap?: Uint8Array; nullCount: number } {
    return this.bitmap === undefined ? { nullCount: 0 } : { nullBitmap: this.bitmap, nullCount: this.count };
  }
}

function numberData(rows: readonly Row[], column: ParquetColumn): Data {
  const length = rows.length;
  const nulls = new NullMask(length);
  const name = column.name;
  if (column.type === 'INT64') {
    // Little-endian lo/hi 32-bit words written directly: exact for |v| < 2^53, no BigInt per value.
    const values = new BigInt64Array(length);
    const words = new Int32Array(values.buffer);
    for (let i = 0; i < length; i++) {
      const v = rows[i][name];
      if (typeof v !== 'number') { nulls.set(i); continue; }
      const hi = Math.floor(v / 4294967296);
      words[2 * i] = v - hi * 4294967296;
      words[2 * i + 1] = hi;
    }
    return makeData({ type: new Int64(), length, data: values, ...nulls.props() });
  }
  const values = column.type === 'INT32' ? new Int32Array(length) : new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const v = rows[i][name];
    if (typeof v === 'number') values[i] = v;
    else nulls.set(i);
  }
  const type = column.type === 'INT32' ? new Int32() : new Float64();
  return makeData({ type, length, data: values, ...nulls.props() } as Parameters<typeof makeData>[0]) as Data;
}

function boolData(rows: readonly Row[], name: string): Data {
  const values = new Uint8Array((rows.length + 7) >> 3);
  const nulls = new NullMask(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i][name];
    if (v === true) values[i >> 3] |= 1 << (i & 7);
    else if (v !== false) nulls.set(i);
  }
  return makeData({ type: new Bool(), length: rows.length, data: values, ...nulls.props() });
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

function utf8Data(rows: readonly Row[], name: string): Data {
  const offsets = new Int32Array(rows.length + 1);
  const nulls = new NullMask(rows.length);
  let bound = 0;
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i][name];
    if (typeof v === 'string') bound += v.length * 3; // a UTF-16 unit never needs more than 3 UTF-8 bytes
  }
  const data = Buffer.allocUnsafe(bound);
  let bytes = 0;
  let previous: string | undefined;
  let previousStart = 0;
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i][name];
    if (typeof v !== 'string') {
      nulls.set(i);
    } else if (v === previous) { // runs of one value (symbol, market, file id) are the common case
      const length = offsets[i] - previousStart;
      data.copyWithin(bytes, previousStart, previousStart + length);
      previousStart = bytes;
      bytes += length;
    } else {
      previous = v;
      previousStart = bytes;
      bytes += writeUtf8(data, bytes, v);
    }
    offsets[i + 1] = bytes;
  }
  const values = new Uint8Array(data.buffer, data.byteOffset, bytes);
  return makeData({ type: new Utf8(), length: rows.length, valueOffsets: offsets, data: values, ...nulls.props() });
}

function listData(rows: readonly Row[], column: ParquetColumn): Data {
  const offsets = new Int32Array(rows.length + 1);
  const nulls = new NullMask(rows.length);
  let total = 0;
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i][column.name];
    if (Array.isArray(v)) total += v.length;
    else nulls.set(i);
    offsets[i + 1] = total;
  }
  const items = new Float64Array(total);
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i][column.name];
    if (Array.isArray(v)) items.set(v as number[], offsets[i]);
  }
  const type = arrowTypeOf(column) as List<Float64>;
  const child = makeData({ type: new Float64(), length: total, data: items });
  return makeData({ type, length: rows.length, valueOffsets: offsets, child, ...nulls.props() });
}

function columnData(rows: readonly Row[], column: ParquetColumn): Data {
  let data: Data;
  switch (column.type) {
    case 'UTF8': data = utf8Data(rows, column.name); break;
    case 'BOOLEAN': data = boolData(rows, column.name); break;
    case 'LIST<DOUBLE>': data = listData(rows, column); break;
    default: data = numberData(rows, column);
  }
  if (data.nullCount > 0) {
    const bad = rows.findIndex((r) => {
      const value = r[column.name];
      return value === null || value === undefined ? !column.optional : !isPresent(value, column);
    });
    if (bad >= 0) {
      throw new SinkWriteError(
        `column ${column.name} (${column.type}${column.optional ? '' : ', required'}) cannot hold ${JSON.stringify(rows[bad][column.name]) ?? 'undefined'} (row ${bad})`,
        { service: 'parquet' }, { retriable: false },
      );
    }
  }
  return data;
}

function isPresent(value: unknown, column: ParquetColumn): boolean {
  switch (column.type) {
    case 'UTF8': return typeof value === 'string';
    case 'BOOLEAN': return typeof value === 'boolean';
    case 'LIST<DOUBLE>': return Array.isArray(value);
    default: return typeof value === 'number';
  }
}

/** One Arrow record batch holding `rows` in the given column layout. */
export function mapArrowBatch(rows: readonly Row[], columns: readonly ParquetColumn[]): RecordBatch {
  const schema = new Schema(columns.map(arrowFieldOf));
  const children = columns.map((column) => columnData(rows, column));
  const data = makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children });
  return new RecordBatch(schema, data);
}
