/**
 * A cursor over one CSV row that the archive mappers read column by column, in order. Integers (ids,
 * counts, epoch timestamps) and booleans are parsed straight from the line's character codes; only decimals
 * and text are sliced out. That avoids a substring and an array slot per cell, which is most of the cost of
 * parsing archive rows. Every reader throws a {@link DecodeError} naming the column; {@link RowCursor.done}
 * rejects extra columns. One cursor is reused for every row of a file (`reset`), so mappers must not keep it.
 */
import { DecodeError } from '../../schemas/errors.js';
import { parseUtcDateTimeUs, toEpochUs } from '../../schemas/time.js';

const MAX_EXACT = 2 ** 53;
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** Reads the cells of one row in order. */
export class RowCursor {
  private line = '';
  private lineStart = 0;
  private lineEnd = 0;
  private pos = 0;
  private start = 0;
  private end = 0;
  private column = 0;
  private expected = 0;
  private what = '';

  /**
   * Points the cursor at a new row: `text.slice(start, end)` (no `\n`). The text may be a whole chunk of
   * lines, so rows are parsed in place without slicing them out.
   */
  reset(text: string, start = 0, end = text.length): this {
    this.line = text; this.lineStart = start; this.lineEnd = end; this.pos = start; this.column = 0;
    return this;
  }

  /** The current row's text. */
  raw(): string {
    return this.line.slice(this.lineStart, this.lineEnd);
  }

  /** Declares the row's expected column count and a label for messages. */
  begin(expected: number, what: string): this {
    this.expected = expected; this.what = what;
    return this;
  }

  private fail(column: string, expected: string): never {
    const text = this.line.slice(this.start, this.end);
    throw new DecodeError(`column ${column}: expected ${expected}, got ${JSON.stringify(text)}`, text);
  }

  private advance(): void {
    if (this.pos > this.lineEnd) {
      throw new DecodeError(`${this.what}: expected ${this.expected} columns, got ${this.column}`, this.raw());
    }
    const comma = this.line.indexOf(',', this.pos);
    this.start = this.pos;
    this.end = comma < 0 || comma > this.lineEnd ? this.lineEnd : comma;
    this.pos = this.end + 1;
    this.column++;
  }

  /** Skips a column. */
  skip(): void {
    this.advance();
  }

  /** A non-empty text cell. */
  text(column: string): string {
    this.advance();
    if (this.start === this.end) this.fail(column, 'a value');
    return this.line.slice(this.start, this.end);
  }

  /** A finite decimal number. */
  num(column: string): number {
    this.advance();
    return this.decimal(column);
  }

  /** A decimal number, or null for an empty cell. */
  numOrNull(column: string): number | null {
    this.advance();
    return this.start === this.end ? null : this.decimal(column);
  }

  /**
   * Parses the current cell as a decimal without slicing it: digits accumulate into an integer mantissa and
   * the result is mantissa / 10^fractionDigits. When the mantissa is below 2^53 and there are at most 22
   * fraction digits, both operands are exact doubles and IEEE division rounds correctly, so the result equals
   * `Number(text)` (Clinger's fast path). Longer numbers and exponent notation take `Number(text)`.
   */
  private decimal(column: string): number {
    const line = this.line;
    const end = this.end;
    let i = this.start;
    const negative = i < end && line.charCodeAt(i) === 45;
    if (negative) i++;
    let mantissa = 0;
    let digits = 0;
    let fraction = -1;
    for (; i < end; i++) {
      const c = line.charCodeAt(i);
      if (c === 46) {
        if (fraction >= 0) this.fail(column, 'a decimal number');
        fraction = 0;
        continue;
      }
      const digit = c - 48;
      if (digit < 0 || digit > 9) return this.slowDecimal(column, c);
      mantissa = mantissa * 10 + digit;
      digits++;
      if (fraction >= 0) fraction++;
    }
    if (digits === 0) this.fail(column, 'a decimal number');
    if (mantissa > MAX_EXACT || fraction > 22) return this.slowDecimal(column, 0);
    const value = fraction > 0 ? mantissa / POW10[fraction]! : mantissa;
    return negative ? -value : value;
  }

  private slowDecimal(column: string, offending: number): number {
    if (offending !== 0 && offending !== 101 && offending !== 69) this.fail(column, 'a decimal number');
    const value = +this.line.slice(this.start, this.end);
    if (value - value !== 0) this.fail(column, 'a decimal number');
    return value;
  }

  /** A non-negative integer of at most 16 digits (ids, counts). */
  int(column: string): number {
    this.advance();
    const line = this.line;
    const start = this.start;
    const end = this.end;
    if (start === end || end - start > 16) this.fail(column, 'a non-negative integer');
    let value = 0;
    for (let i = start; i < end; i++) {
      const digit = line.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) this.fail(column, 'a non-negative integer');
      value = value * 10 + digit;
    }
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

  /**
   * `true`/`True`/`TRUE` or `false`/`False`/`FALSE` (compared by character codes, any case). No closures
   * here: tsx's keep-names helper would wrap each one per call.
   */
  bool(column: string): boolean {
    this.advance();
    const line = this.line;
    const i = this.start;
    const length = this.end - i;
    if (length === 4 && (line.charCodeAt(i) | 32) === 116 && (line.charCodeAt(i + 1) | 32) === 114
      && (line.charCodeAt(i + 2) | 32) === 117 && (line.charCodeAt(i + 3) | 32) === 101) return true;
    if (length === 5 && (line.charCodeAt(i) | 32) === 102 && (line.charCodeAt(i + 1) | 32) === 97
      && (line.charCodeAt(i + 2) | 32) === 108 && (line.charCodeAt(i + 3) | 32) === 115
      && (line.charCodeAt(i + 4) | 32) === 101) return false;
    return this.fail(column, 'true or false');
  }

  /** Throws unless every column was read. */
  done(): void {
    if (this.pos <= this.lineEnd) {
      let columns = this.column + 1;
      for (let i = this.line.indexOf(',', this.pos); i >= 0 && i < this.lineEnd; i = this.line.indexOf(',', i + 1)) columns++;
      throw new DecodeError(`${this.what}: expected ${this.expected} columns, got ${columns}`, this.raw());
    }
  }
}
