/**
 * Pure encoding of records into ClickHouse `TabSeparated` text, the fastest exact insert path on both the
 * 18.16 server and modern ClickHouse (JSONEachRow loses on speed, and quoted decimals fail on 18.16).
 * Nulls are `\N`, booleans `1`/`0`, doubles print with JS's shortest round-trip form (`1e-8` parses back to the
 * same float64), arrays as `[1.5,2]`, strings with backslash escapes.
 */
import type { FieldSpec } from '../../schemas/fields.js';

const TSV_ESCAPES: Record<string, string> = {
  '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0', '\b': '\\b', '\f': '\\f',
};
const TSV_SPECIAL = /[\\\t\n\r\0\b\f]/g;
const HAS_TSV_SPECIAL = /[\\\t\n\r\0\b\f]/;

/** A string escaped for a TabSeparated field (returned as is when nothing needs escaping, the common case). */
export function escapeTsv(value: string): string {
  return HAS_TSV_SPECIAL.test(value) ? value.replace(TSV_SPECIAL, (c) => TSV_ESCAPES[c]) : value;
}

/** A float64 in ClickHouse text form (`nan`, `inf`, `-inf` for the non-finite values). */
export function formatFloat(value: number): string {
  if (Number.isFinite(value)) return String(value);
  if (Number.isNaN(value)) return 'nan';
  return value > 0 ? 'inf' : '-inf';
}

/**
 * A safe integer in decimal. Beyond 32 bits it is printed as two halves that are small integers (cheap for
 * V8), about 3× faster than `String(v)` for 16-digit µs timestamps; the output is identical.
 */
export function formatInteger(value: number): string {
  if (value < 2147483648 && value > -2147483648) return String(value);
  const negative = value < 0;
  const magnitude = negative ? -value : value;
  if (!Number.isSafeInteger(magnitude)) return String(value);
  const high = Math.floor(magnitude / 1e8);
  const low = String(magnitude - high * 1e8);
  return (negative ? '-' : '') + String(high) + '00000000'.slice(low.length) + low;
}

/** One field's TSV text. */
export function tsvField(value: unknown, field: FieldSpec): string {
  if (value === null || value === undefined) return '\\N';
  switch (field.type) {
    case 'string': return escapeTsv(value as string);
    case 'long': return formatInteger(value as number);
    case 'int': return String(value);
    case 'double': return formatFloat(value as number);
    case 'boolean': return value === true ? '1' : '0';
    case 'doubleArray': return '[' + (value as readonly number[]).map(formatFloat).join(',') + ']';
  }
}

/** One record as a TSV line (with the trailing newline), columns in field-table order. */
export function mapTsvRow(record: Readonly<Record<string, unknown>>, fields: readonly FieldSpec[]): string {
  let line = '';
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) line += '\t';
    line += tsvField(record[fields[i].name], fields[i]);
  }
  return line + '\n';
}

/** Records as TSV text chunks of at most `rowsPerChunk` rows (a lazy, restartable source for a stream). */
export function* tsvChunks(
  records: readonly Readonly<Record<string, unknown>>[], fields: readonly FieldSpec[], rowsPerChunk = 8192,
): Generator<string> {
  for (let start = 0; start < records.length; start += rowsPerChunk) {
    let chunk = '';
    const end = Math.min(records.length, start + rowsPerChunk);
    for (let i = start; i < end; i++) chunk += mapTsvRow(records[i], fields);
    yield chunk;
  }
}
