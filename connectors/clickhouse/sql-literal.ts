/**
 * The one place SQL text is built from values. Identifiers go through `quoteIdentifier`
 * (schemas/clickhouse-ddl.ts); values go through {@link quoteLiteral}, or are sent as query parameters by
 * {@link bindParams} on servers that have them (ClickHouse ≥ 19.x; the Debian 18.16 server does not).
 */
import { ConfigError } from '../../schemas/errors.js';

/** A value that can appear in SQL. */
export type SqlValue = string | number | boolean | null | readonly (string | number | boolean | null)[];

const STRING_ESCAPES: Record<string, string> = {
  '\\': '\\\\', "'": "\\'", '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\\0', '\b': '\\b', '\f': '\\f',
};

/** Quotes a string literal: single quotes, with backslash, quote and control characters escaped. */
export function quoteString(value: string): string {
  return "'" + value.replace(/[\\'\n\r\t\0\b\f]/g, (c) => STRING_ESCAPES[c]) + "'";
}

/** A SQL literal for any {@link SqlValue}; non-finite numbers are rejected. */
export function quoteLiteral(value: SqlValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return quoteString(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ConfigError(`cannot use ${value} as a SQL value`);
    return String(value);
  }
  return '[' + value.map((item) => quoteLiteral(item)).join(', ') + ']';
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*):([^{}]+)\}/g;

/**
 * Prepares `{name:Type}` placeholders: with `serverParams` the query is returned unchanged with the values as
 * query parameters; without, each placeholder becomes `CAST(<literal>, '<Type>')`. Every placeholder needs a value.
 */
export function bindParams(
  query: string, params: Readonly<Record<string, SqlValue>>, serverParams: boolean,
): { query: string; query_params?: Record<string, unknown> } {
  for (const match of query.matchAll(PLACEHOLDER)) {
    if (!(match[1] in params)) throw new ConfigError(`SQL parameter {${match[1]}:${match[2]}} has no value`);
  }
  if (serverParams) return { query, query_params: { ...params } };
  return { query: query.replace(PLACEHOLDER, (_, name: string, type: string) => `CAST(${quoteLiteral(params[name])}, ${quoteString(type.trim())})`) };
}
