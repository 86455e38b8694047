/**
 * Pure mapping of plain records onto the raw buffers of Arrow columns, without Apache Arrow itself: typed
 * arrays of values, UTF-8 bytes with Int32 offsets, list offsets with Float64 items, validity bitmaps. This is
 * everything the Parquet encoder needs, as plain data that can be transferred to a worker thread
 * (`postMessage(buffers, transferablesOf(buffers))`, no copy and no per-record cloning) — map-arrow-columns.ts
 * wraps the same buffers into Arrow `Data` on either side.
 *
 * Values are read in one row-major pass by read-columns.ts. Every buffer is allocated for this call alone (never
 * from Node's shared Buffer pool), so transferring it detaches nothing else. A value of the wrong JS type, or a
 * null in a required column, is a non-retriable `SinkWriteError` naming the column and row.
 * Memory: about 8 bytes per numeric cell, the UTF-8 bytes of the strings, 1 bit per boolean.
 */
import type { ParquetColumn } from '../../schemas/parquet-schema.js';
import { writeUtf8 } from '../plumbing/utf8.js';
import { readColumns, type ColumnValues } from './read-columns.js';

type Row = Readonly<Record<string, unknown>>;

/** Validity of one column: LSB-first bitmap (absent when nothing is null). */
export interface Validity {
  readonly nullCount: number;
  readonly nullBitmap?: Uint8Array;
}

/** The buffers of one column, by physical type. */
export type ColumnBuffer = Validity & (
  | { readonly type: 'INT64'; readonly values: BigInt64Array }
  | { readonly type: 'INT32'; readonly values: Int32Array }
  | { readonly type: 'DOUBLE'; readonly values: Float64Array }
  | { readonly type: 'BOOLEAN'; readonly values: Uint8Array }
  | { readonly type: 'UTF8'; readonly offsets: Int32Array; readonly data: Uint8Array }
  | { readonly type: 'LIST<DOUBLE>'; readonly offsets: Int32Array; readonly items: Float64Array }
);

/** The columns of `length` rows, in the order of their `ParquetColumn` layout. */
export interface ColumnBuffers {
  readonly length: number;
  readonly columns: readonly ColumnBuffer[];
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

function utf8Bytes(strings: readonly unknown[]): { offsets: Int32Array; data: Uint8Array } {
  const length = strings.length;
  const offsets = new Int32Array(length + 1);
  let bound = 0;
  for (let i = 0; i < length; i++) {
    const v = strings[i];
    if (typeof v === 'string') bound += v.length * 3; // a UTF-16 unit never needs more than 3 UTF-8 bytes
  }
  const data = Buffer.allocUnsafeSlow(bound); // not pooled: the buffer may be transferred to a worker
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
  return { offsets, data: new Uint8Array(data.buffer, data.byteOffset, bytes) };
}

function listItems(lists: readonly unknown[]): { offsets: Int32Array; items: Float64Array } {
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
  return { offsets, items };
}

function bufferOf(values: ColumnValues): ColumnBuffer {
  const validity = values.nulls.props();
  switch (values.type) {
    case 'UTF8': return { type: 'UTF8', ...utf8Bytes(values.values), ...validity };
    case 'LIST<DOUBLE>': return { type: 'LIST<DOUBLE>', ...listItems(values.values), ...validity };
    default: return { type: values.type, values: values.values, ...validity } as ColumnBuffer;
  }
}

/** The column buffers of `rows` in the given layout (see the module doc). */
export function mapColumnBuffers(rows: readonly Row[], columns: readonly ParquetColumn[]): ColumnBuffers {
  return { length: rows.length, columns: readColumns(rows, columns).map(bufferOf) };
}

/** The distinct `ArrayBuffer`s under `buffers`: the transfer list of a `postMessage` that moves them. */
export function transferablesOf(buffers: ColumnBuffers): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  for (const column of buffers.columns) {
    const views: ArrayBufferView[] = column.type === 'UTF8' ? [column.offsets, column.data]
      : column.type === 'LIST<DOUBLE>' ? [column.offsets, column.items] : [column.values];
    if (column.nullBitmap !== undefined) views.push(column.nullBitmap);
    for (const view of views) seen.add(view.buffer as ArrayBuffer);
  }
  return [...seen];
}

/** Sets the bits of `source[0, length)` in `target` from bit `at` on (`target` zeroed there). */
function orBits(target: Uint8Array, at: number, source: Uint8Array, length: number): void {
  if ((at & 7) === 0) { // byte-aligned: the source's bits past `length` are zero
    target.set(source.subarray(0, (length + 7) >> 3), at >> 3);
    return;
  }
  for (let i = 0; i < length; i++) {
    if ((source[i >> 3] & (1 << (i & 7))) !== 0) target[(at + i) >> 3] |= 1 << ((at + i) & 7);
  }
}

/** The validity of `parts` one after another: a bitmap only when some part has nulls. */
function concatValidity(parts: readonly ColumnBuffer[], lengths: readonly number[], total: number): Validity {
  const nullCount = parts.reduce((sum, part) => sum + part.nullCount, 0);
  if (nullCount === 0) return { nullCount: 0 };
  const nullBitmap = new Uint8Array((total + 7) >> 3).fill(0xff);
  let at = 0;
  parts.forEach((part, p) => {
    if (part.nullBitmap !== undefined) {
      for (let i = 0; i < lengths[p]; i++) {
        if ((part.nullBitmap[i >> 3] & (1 << (i & 7))) === 0) nullBitmap[(at + i) >> 3] &= ~(1 << ((at + i) & 7));
      }
    }
    at += lengths[p];
  });
  return { nullCount, nullBitmap };
}

/** Offsets of variable-length values laid one part after another, each part's rebased on the values before it. */
function concatOffsets(parts: readonly { readonly offsets: Int32Array }[], lengths: readonly number[], total: number): Int32Array {
  const offsets = new Int32Array(total + 1);
  let at = 0;
  let base = 0;
  parts.forEach(({ offsets: own }, p) => {
    for (let i = 1; i <= lengths[p]; i++) offsets[at + i] = own[i] + base;
    at += lengths[p];
    base = offsets[at];
  });
  return offsets;
}

function concatTyped<T extends BigInt64Array | Int32Array | Float64Array | Uint8Array>(parts: readonly T[], make: (length: number) => T): T {
  const out = make(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) { (out as Uint8Array).set(part as Uint8Array, at); at += part.length; }
  return out;
}

function concatColumn(parts: readonly ColumnBuffer[], lengths: readonly number[], total: number): ColumnBuffer {
  const validity = concatValidity(parts, lengths, total);
  const first = parts[0];
  switch (first.type) {
    case 'INT64': return { type: 'INT64', values: concatTyped(parts.map((p) => (p as { readonly values: BigInt64Array }).values), (n) => new BigInt64Array(n)), ...validity };
    case 'INT32': return { type: 'INT32', values: concatTyped(parts.map((p) => (p as { readonly values: Int32Array }).values), (n) => new Int32Array(n)), ...validity };
    case 'DOUBLE': return { type: 'DOUBLE', values: concatTyped(parts.map((p) => (p as { readonly values: Float64Array }).values), (n) => new Float64Array(n)), ...validity };
    case 'BOOLEAN': {
      const values = new Uint8Array((total + 7) >> 3);
      let at = 0;
      parts.forEach((part, p) => { orBits(values, at, (part as { readonly values: Uint8Array }).values, lengths[p]); at += lengths[p]; });
      return { type: 'BOOLEAN', values, ...validity };
    }
    case 'UTF8': {
      const own = parts as readonly Extract<ColumnBuffer, { type: 'UTF8' }>[];
      const data = concatTyped(own.map((p) => p.data), (n) => new Uint8Array(n));
      return { type: 'UTF8', offsets: concatOffsets(own, lengths, total), data, ...validity };
    }
    case 'LIST<DOUBLE>': {
      const own = parts as readonly Extract<ColumnBuffer, { type: 'LIST<DOUBLE>' }>[];
      const items = concatTyped(own.map((p) => p.items), (n) => new Float64Array(n));
      return { type: 'LIST<DOUBLE>', offsets: concatOffsets(own, lengths, total), items, ...validity };
    }
  }
}

/**
 * The column buffers of `parts` (mapped with the same layout) one after another: what {@link mapColumnBuffers}
 * gives for their rows concatenated, in fresh buffers (a single part is returned as it is). Lets rows be mapped
 * a few thousand at a time, as they are parsed, and written as one file.
 */
export function concatColumnBuffers(parts: readonly ColumnBuffers[]): ColumnBuffers {
  if (parts.length === 0) throw new Error('concatColumnBuffers: no parts');
  if (parts.length === 1) return parts[0];
  const lengths = parts.map((part) => part.length);
  const total = lengths.reduce((sum, length) => sum + length, 0);
  return { length: total, columns: parts[0].columns.map((_, k) => concatColumn(parts.map((part) => part.columns[k]), lengths, total)) };
}
