/**
 * Row-major extraction of plain records into per-column buffers, in ONE pass over the rows: each row object is
 * read while it is in cache, with property names that are literals in a loop compiled once per column layout
 * (a `rows[i][name]` with a varying `name` is a megamorphic keyed load — per cell that was most of the encode
 * time). Numbers go straight into typed arrays (INT64 as little-endian lo/hi Int32 words: exact for |v| < 2^53,
 * no BigInt per value), booleans into a bitmap, strings and lists into plain arrays for their own column pass.
 *
 * The compiled source only embeds column names as JSON string literals and the fixed per-type snippets below.
 * Compiled readers are cached per layout signature (bounded by the number of distinct layouts: one per kind).
 * Memory: the buffers of one batch (8 bytes per numeric cell, a pointer per string/list cell, 1 bit per boolean).
 */
import { SinkWriteError } from '../../schemas/errors.js';
import type { ParquetColumn } from '../../schemas/parquet-schema.js';

type Row = Readonly<Record<string, unknown>>;

/** Validity bitmap (LSB first) built while the values are written; allocated at the first null only. */
export class NullMask {
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

/** One column's extracted values and validity. */
export type ColumnValues =
  | { readonly type: 'INT64'; readonly values: BigInt64Array; readonly nulls: NullMask }
  | { readonly type: 'INT32'; readonly values: Int32Array; readonly nulls: NullMask }
  | { readonly type: 'DOUBLE'; readonly values: Float64Array; readonly nulls: NullMask }
  | { readonly type: 'BOOLEAN'; readonly values: Uint8Array; readonly nulls: NullMask }
  | { readonly type: 'UTF8'; readonly values: unknown[]; readonly nulls: NullMask }
  | { readonly type: 'LIST<DOUBLE>'; readonly values: unknown[]; readonly nulls: NullMask };

type Reader = (rows: readonly Row[], targets: unknown[], nulls: NullMask[], fail: (column: number, row: number) => never) => void;

const readers = new Map<string, Reader>();

function cellSource(column: ParquetColumn, k: number): string {
  const absent = column.optional ? `if (v === null || v === undefined) n${k}.set(i); else fail(${k}, i);` : `fail(${k}, i);`;
  const read = `const v = r[${JSON.stringify(column.name)}];`;
  switch (column.type) {
    case 'INT64':
      return `{ ${read} if (typeof v === 'number') { const hi = Math.floor(v / 4294967296); t${k}[2 * i] = v - hi * 4294967296; t${k}[2 * i + 1] = hi; } else { ${absent} } }`;
    case 'INT32':
    case 'DOUBLE':
      return `{ ${read} if (typeof v === 'number') t${k}[i] = v; else { ${absent} } }`;
    case 'BOOLEAN':
      return `{ ${read} if (v === true) t${k}[i >> 3] |= 1 << (i & 7); else if (v !== false) { ${absent} } }`;
    case 'UTF8':
      return `{ ${read} if (typeof v === 'string') t${k}[i] = v; else { t${k}[i] = null; ${absent} } }`;
    case 'LIST<DOUBLE>':
      return `{ ${read} if (Array.isArray(v)) t${k}[i] = v; else { t${k}[i] = null; ${absent} } }`;
  }
}

function compileReader(columns: readonly ParquetColumn[]): Reader {
  const hoist = columns.map((_, k) => `const t${k} = targets[${k}], n${k} = nulls[${k}];`).join('\n');
  const cells = columns.map(cellSource).join('\n    ');
  const source = `${hoist}\nfor (let i = 0, length = rows.length; i < length; i++) {\n    const r = rows[i];\n    ${cells}\n}`;
  return new Function('rows', 'targets', 'nulls', 'fail', source) as Reader;
}

function readerFor(columns: readonly ParquetColumn[]): Reader {
  const signature = JSON.stringify(columns.map((c) => [c.name, c.type, c.optional]));
  let reader = readers.get(signature);
  if (reader === undefined) {
    reader = compileReader(columns);
    readers.set(signature, reader);
  }
  return reader;
}

function emptyValues(column: ParquetColumn, length: number): ColumnValues {
  const nulls = new NullMask(length);
  switch (column.type) {
    case 'INT64': return { type: column.type, values: new BigInt64Array(length), nulls };
    case 'INT32': return { type: column.type, values: new Int32Array(length), nulls };
    case 'DOUBLE': return { type: column.type, values: new Float64Array(length), nulls };
    case 'BOOLEAN': return { type: column.type, values: new Uint8Array((length + 7) >> 3), nulls };
    default: return { type: column.type, values: new Array<unknown>(length), nulls };
  }
}

/**
 * Every column of `rows`, read in one pass. A value of the wrong JS type, or a null/undefined in a required
 * column, is a non-retriable `SinkWriteError` naming the column and row (never silently null).
 */
export function readColumns(rows: readonly Row[], columns: readonly ParquetColumn[]): ColumnValues[] {
  const out = columns.map((column) => emptyValues(column, rows.length));
  const targets = out.map((c) => (c.type === 'INT64' ? new Int32Array(c.values.buffer) : c.values));
  const fail = (k: number, i: number): never => {
    const column = columns[k];
    throw new SinkWriteError(
      `column ${column.name} (${column.type}${column.optional ? '' : ', required'}) cannot hold ${JSON.stringify(rows[i][column.name]) ?? 'undefined'} (row ${i})`,
      { service: 'parquet' }, { retriable: false },
    );
  };
  readerFor(columns)(rows, targets, out.map((c) => c.nulls), fail);
  return out;
}
