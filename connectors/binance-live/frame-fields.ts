/**
 * Typed reads of fields from a decoded Binance JSON payload (WebSocket frame or REST row). Every read throws
 * a {@link DecodeError} that carries the raw payload when the field is missing or has the wrong type, so a
 * bad frame goes to the DLQ instead of becoming a record with a guessed value.
 */
import { parseDecimal } from '../../schemas/decimal.js';
import { DecodeError } from '../../schemas/errors.js';
import { toEpochUs } from '../../schemas/time.js';

/** A decoded JSON object, as received. */
export type JsonObject = Record<string, unknown>;

function fail(payload: JsonObject, field: string, expected: string): never {
  throw new DecodeError(`field ${field}: expected ${expected}, got ${JSON.stringify(payload[field])}`, JSON.stringify(payload));
}

/** A JSON object, or a DecodeError. */
export function asObject(value: unknown, raw: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DecodeError('expected a JSON object', raw);
  return value as JsonObject;
}

/** A string field. */
export function str(payload: JsonObject, field: string): string {
  const value = payload[field];
  return typeof value === 'string' ? value : fail(payload, field, 'a string');
}

/** An integer field (ids, epoch ms); numbers only, as Binance sends them. */
export function int(payload: JsonObject, field: string): number {
  const value = payload[field];
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : fail(payload, field, 'an integer');
}

/** An epoch timestamp field (ms or µs by magnitude) converted to µs. */
export function timeUs(payload: JsonObject, field: string): number {
  return toEpochUs(int(payload, field));
}

/** An optional epoch timestamp: µs, or null when absent. */
export function optTimeUs(payload: JsonObject, field: string): number | null {
  return payload[field] === undefined ? null : timeUs(payload, field);
}

/** A decimal-string field parsed to a float64. */
export function dec(payload: JsonObject, field: string): number {
  const value = payload[field];
  if (typeof value !== 'string') return fail(payload, field, 'a decimal string');
  try {
    return parseDecimal(value);
  } catch {
    return fail(payload, field, 'a decimal string');
  }
}

/** An optional decimal: null when absent or empty (COIN-M delivery symbols send `r:""`). */
export function optDec(payload: JsonObject, field: string): number | null {
  const value = payload[field];
  return value === undefined || value === '' ? null : dec(payload, field);
}

/** A boolean field. */
export function bool(payload: JsonObject, field: string): boolean {
  const value = payload[field];
  return typeof value === 'boolean' ? value : fail(payload, field, 'a boolean');
}

/** An optional boolean: null when absent. */
export function optBool(payload: JsonObject, field: string): boolean | null {
  return payload[field] === undefined ? null : bool(payload, field);
}

/** A list of `[price, qty]` decimal pairs split into parallel arrays. */
export function levels(payload: JsonObject, field: string): { prices: number[]; qtys: number[] } {
  const value = payload[field];
  if (!Array.isArray(value)) return fail(payload, field, 'a list of [price, qty]');
  const prices: number[] = [];
  const qtys: number[] = [];
  for (const level of value) {
    if (!Array.isArray(level) || typeof level[0] !== 'string' || typeof level[1] !== 'string') {
      return fail(payload, field, 'a list of [price, qty]');
    }
    prices.push(parseDecimal(level[0]));
    qtys.push(parseDecimal(level[1]));
  }
  return { prices, qtys };
}
