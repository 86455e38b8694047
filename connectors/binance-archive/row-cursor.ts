/**
 * A cursor over one CSV row that the archive mappers read column by column, in order, straight from the
 * inflated bytes: no text decoding, no substring and no array slot per cell. Each reader scans its own cell
 * and stops at the cell's end (`,`, `\n` or `\r\n`), so a row is passed over once: integers (ids, counts,
 * epoch timestamps), booleans and decimals are parsed from the byte values; only text cells and the raw row
 * of a rejected line are decoded (UTF-8). Bytes of multi-byte UTF-8 characters are never `,` or `\n`, so a
 * non-ASCII cell is read whole and rejected (numbers) or decoded (text). A row ends at its `\n` (csv.ts
 * `readLinePieces` ends every piece with one) or at the end of the buffer; the digit loops need no bounds test
 * (a byte read past the end is `undefined`, which is no digit). Every reader throws
 * a {@link DecodeError} naming the column; {@link RowCursor.done} rejects extra columns. One cursor is reused
 * for every row of a file (`reset`), so mappers must not keep it.
 */
import { Buffer } from 'node:buffer';
import { parseDecimal } from '../../schemas/decimal.js';
import { DecodeError } from '../../schemas/errors.js';
import { parseUtcDateTimeUs, toEpochUs } from '../../schemas/time.js';
import { excerpt } from './excerpt.js';

const NL = 10;
const CR = 13;
const COMMA = 44;
const DOT = 46;
const MINUS = 45;
const MAX_EXACT = 2 ** 53;
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const EMPTY_ROW = Buffer.from('\n');
/** Bytes of input a {@link DecodeError} carries at most (its message quotes an {@link excerpt}). */
const RAW_BYTES = 1024;

/** Reads the cells of one row in order. */
export class RowCursor {
  private bytes: Buffer = EMPTY_ROW;
  private lineStart = 0;
  /** Index of the row's terminator (`\n`, or the `\r` of `\r\n`); -1 until the row has been scanned to its end. */
  private lineEnd = -1;
  private nextRow = 0;
  private pos = 0;
  private start = 0;
  private end = 0;
  private column = 0;
  private expected = 0;
  private what = '';

  /**
   * Points the cursor at the row starting at `start` of `bytes`; the row ends at the next `\n` or at the end
   * of the buffer. A string (tests, one-off rows) is encoded first: `text.slice(start, end)` is the row.
   */
  reset(source: Buffer | string, start = 0, end?: number): this {
    if (typeof source === 'string') {
      this.bytes = Buffer.from(`${source.slice(start, end ?? source.length)}\n`);
      this.lineStart = 0;
    } else {
      this.bytes = source;
      this.lineStart = start;
    }
    this.pos = this.lineStart; this.lineEnd = -1; this.column = 0;
    return this;
  }

  /**
   * The current row's text (UTF-8), without its line break; a row longer than `maxBytes` is cut there and
   * ends with a marker naming its full length.
   */
  raw(maxBytes = Infinity): string {
    this.rowEnd();
    const length = this.lineEnd - this.lineStart;
    if (length <= maxBytes) return this.bytes.toString('utf8', this.lineStart, this.lineEnd);
    return `${this.bytes.toString('utf8', this.lineStart, this.lineStart + maxBytes)}…[cut: ${length} bytes]`;
  }

  /** Length in bytes of the current row, without its line break. */
  rowBytes(): number {
    this.rowEnd();
    return this.lineEnd - this.lineStart;
  }

  /** Index just after the current row's `\n`, i.e. where the next row starts (scans the rest of the row if needed). */
  rowEnd(): number {
    if (this.lineEnd < 0) {
      const b = this.bytes;
      let i = this.pos;
      while (i < b.length && b[i] !== NL) i++;
      this.nextRow = Math.min(i + 1, b.length);
      this.lineEnd = i > this.lineStart && b[i - 1] === CR ? i - 1 : i;
    }
    return this.nextRow;
  }

  /** Declares the row's expected column count and a label for messages. */
  begin(expected: number, what: string): this {
    this.expected = expected; this.what = what;
    return this;
  }

  private fail(column: string, expected: string): never {
    const text = this.bytes.toString('utf8', this.start, Math.min(this.end, this.start + RAW_BYTES));
    throw new DecodeError(`column ${column}: expected ${expected}, got ${excerpt(text)}`, text);
  }

  /** Starts the next cell; throws when the row has ended. */
  private advance(): void {
    if (this.lineEnd >= 0) {
      throw new DecodeError(`${this.what}: expected ${this.expected} columns, got ${this.column}`, this.raw(RAW_BYTES));
    }
    this.start = this.pos;
    this.column++;
  }

  /** True when byte `i` ends a cell: `,`, `\n`, the `\r` of `\r\n`, or the end of the buffer. */
  private isCellEnd(i: number): boolean {
    const c = this.bytes[i];
    return c === COMMA || c === NL || (c === CR && this.bytes[i + 1] === NL) || i >= this.bytes.length;
  }

  /** Index of the current cell's end, scanning from its start. */
  private scanCell(): number {
    let i = this.start;
    while (!this.isCellEnd(i)) i++;
    return i;
  }

  /** Closes the current cell at `i` (a cell end): the next cell starts after it, or the row has ended. */
  private finish(i: number): void {
    this.end = i;
    const c = this.bytes[i];
    if (c === COMMA) { this.pos = i + 1; return; }
    this.lineEnd = i;
    this.nextRow = c === NL ? i + 1 : c === CR ? i + 2 : i;
  }

  /** Skips a column. */
  skip(): void {
    this.advance();
    this.finish(this.scanCell());
  }

  /** A non-empty text cell. */
  text(column: string): string {
    this.advance();
    this.finish(this.scanCell());
    if (this.start === this.end) this.fail(column, 'a value');
    return this.bytes.toString('utf8', this.start, this.end);
  }

  /** A finite decimal number. */
  num(column: string): number {
    this.advance();
    return this.decimal(column);
  }

  /** A decimal number, or null for an empty cell. */
  numOrNull(column: string): number | null {
    this.advance();
    if (!this.isCellEnd(this.start)) return this.decimal(column);
    this.finish(this.start);
    return null;
  }

  /**
   * Parses the current cell as a plain decimal `-?digits[.digits]`: one loop over the integer digits, one
   * over the fraction digits (no per-byte `.` test), accumulating an integer mantissa; the result is
   * mantissa / 10^fractionDigits. When the mantissa is below 2^53 (then every partial sum was exact) and there
   * are at most 22 fraction digits, both operands are exact doubles and IEEE division rounds correctly, so
   * the result equals `Number(text)` (Clinger's fast path). Exponents, longer numbers and anything else take
   * {@link RowCursor.slowDecimal}.
   */
  private decimal(column: string): number {
    const b = this.bytes;
    let i = this.start;
    let c = b[i];
    const negative = c === MINUS;
    if (negative) c = b[++i];
    const first = i;
    let mantissa = 0;
    while (c >= 48 && c <= 57) { mantissa = mantissa * 10 + (c - 48); c = b[++i]; }
    let digits = i - first;
    let fraction = 0;
    if (c === DOT) {
      const dot = i;
      c = b[++i];
      while (c >= 48 && c <= 57) { mantissa = mantissa * 10 + (c - 48); c = b[++i]; }
      fraction = i - dot - 1;
      digits += fraction;
    }
    if (digits === 0 || mantissa >= MAX_EXACT || fraction > 22 || !this.isCellEnd(i)) return this.slowDecimal(column);
    this.finish(i);
    const value = fraction === 0 ? mantissa : mantissa / POW10[fraction];
    return negative ? -value : value;
  }

  /** The whole cell through `parseDecimal` (exponents, > 2^53 mantissas, > 22 fraction digits), else a failure. */
  private slowDecimal(column: string): number {
    this.finish(this.scanCell());
    try {
      return parseDecimal(this.bytes.toString('utf8', this.start, this.end));
    } catch {
      return this.fail(column, 'a decimal number');
    }
  }

  /** A non-negative integer of at most 16 digits (ids, counts). */
  int(column: string): number {
    this.advance();
    const b = this.bytes;
    let i = this.start;
    let c = b[i];
    let value = 0;
    while (c >= 48 && c <= 57) { value = value * 10 + (c - 48); c = b[++i]; }
    const digits = i - this.start;
    if (!this.isCellEnd(i)) i = this.scanCell();
    this.finish(i);
    if (digits === 0 || digits > 16 || i !== this.start + digits) this.fail(column, 'a non-negative integer');
    if (value > Number.MAX_SAFE_INTEGER) this.fail(column, 'a safe integer');
    return value;
  }

  /** An epoch timestamp in ms or µs (classified per value by magnitude) → µs. */
  epochUs(column: string): number {
    const value = this.int(column);
    if (value < 1e12) this.fail(column, 'an epoch timestamp in ms or µs');
    return toEpochUs(value);
  }

  /** A UTC text timestamp `YYYY-MM-DD HH:MM:SS` → µs. */
  textTimeUs(column: string): number {
    const text = this.text(column);
    try {
      return parseUtcDateTimeUs(text);
    } catch {
      return this.fail(column, 'a UTC date-time YYYY-MM-DD HH:MM:SS');
    }
  }

  /** `true`/`True`/`TRUE` or `false`/`False`/`FALSE` (compared by byte values, any case). */
  bool(column: string): boolean {
    this.advance();
    const b = this.bytes;
    const i = this.start;
    const end = this.scanCell();
    this.finish(end);
    const length = end - i;
    if (length === 4 && (b[i] | 32) === 116 && (b[i + 1] | 32) === 114 && (b[i + 2] | 32) === 117
      && (b[i + 3] | 32) === 101) return true;
    if (length === 5 && (b[i] | 32) === 102 && (b[i + 1] | 32) === 97 && (b[i + 2] | 32) === 108
      && (b[i + 3] | 32) === 115 && (b[i + 4] | 32) === 101) return false;
    return this.fail(column, 'true or false');
  }

  /** Throws unless every column was read. */
  done(): void {
    if (this.lineEnd >= 0) return;
    let columns = this.column + 1;
    const end = this.rowEnd();
    for (let i = this.pos; i < end; i++) if (this.bytes[i] === COMMA) columns++;
    throw new DecodeError(`${this.what}: expected ${this.expected} columns, got ${columns}`, this.raw(RAW_BYTES));
  }
}
