/**
 * Cell parsers shared by the archive mappers. Each throws a {@link DecodeError} naming the column; the
 * mapper's caller adds the raw line, file and line number. Fast paths: `Number()` plus a finiteness check
 * instead of a regex per cell (empty cells, `NaN`, `Infinity` and non-numeric text are rejected).
 */
import { DecodeError } from '../../schemas/errors.js';
import { parseUtcDateTimeUs, toEpochUs } from '../../schemas/time.js';

function fail(column: string, text: string | undefined, expected: string): never {
  throw new DecodeError(`column ${column}: expected ${expected}, got ${JSON.stringify(text ?? '')}`, text ?? '');
}

/** A finite decimal number. */
export function num(text: string | undefined, column: string): number {
  const value = text === undefined || text.length === 0 ? NaN : +text;
  if (value - value !== 0) fail(column, text, 'a decimal number');
  return value;
}

/** A decimal number, or null for an empty cell. */
export function numOrNull(text: string | undefined, column: string): number | null {
  return text === undefined || text.length === 0 ? null : num(text, column);
}

/** A non-negative safe integer (ids, counts). */
export function int(text: string | undefined, column: string): number {
  const value = text === undefined || text.length === 0 ? NaN : +text;
  if (!Number.isSafeInteger(value) || value < 0) fail(column, text, 'a non-negative integer');
  return value;
}

/** An epoch timestamp in ms or µs (classified per value by magnitude) → µs. */
export function epochUs(text: string | undefined, column: string): number {
  const value = text === undefined || text.length === 0 ? NaN : +text;
  if (!Number.isSafeInteger(value) || value < 1e12) fail(column, text, 'an epoch timestamp in ms or µs');
  return toEpochUs(value);
}

/** A UTC text timestamp `YYYY-MM-DD HH:MM:SS` → µs. */
export function textTimeUs(text: string | undefined, column: string): number {
  try {
    return parseUtcDateTimeUs(text ?? '');
  } catch {
    return fail(column, text, 'a UTC date-time YYYY-MM-DD HH:MM:SS');
  }
}

/** `true`/`True`/`TRUE` or `false`/`False`/`FALSE`. */
export function bool(text: string | undefined, column: string): boolean {
  switch (text) {
    case 'true': case 'True': case 'TRUE': return true;
    case 'false': case 'False': case 'FALSE': return false;
    default: return fail(column, text, 'true or false');
  }
}

/** A non-empty string cell. */
export function str(text: string | undefined, column: string): string {
  if (text === undefined || text.length === 0) fail(column, text, 'a value');
  return text;
}

/** Throws unless the row has exactly `count` cells. */
export function expectColumns(cells: readonly string[], count: number, what: string): void {
  if (cells.length !== count) {
    throw new DecodeError(`${what}: expected ${count} columns, got ${cells.length}`, cells.join(','));
  }
}
