/**
 * Time in this project is an integer count of microseconds since the Unix epoch held in a JS number
 * (exact below 2^53; 2026 is about 1.8e15). Units are in names: `eventTimeUs`, `timeoutMs`.
 */
import { DecodeError } from './errors.js';

/** Values at or above this are microseconds (16 digits in our era). */
export const MICROS_THRESHOLD = 1e15;
/** Values at or above this (and below {@link MICROS_THRESHOLD}) are milliseconds. */
export const MILLIS_THRESHOLD = 1e12;

export const US_PER_MS = 1_000;
export const US_PER_SECOND = 1_000_000;
export const US_PER_MINUTE = 60 * US_PER_SECOND;
export const US_PER_HOUR = 60 * US_PER_MINUTE;
export const US_PER_DAY = 24 * US_PER_HOUR;

/** The unit of an exchange timestamp, classified per value by magnitude, never by date. */
export type TimeUnit = 'us' | 'ms' | 's';

/** Classifies a raw epoch value: µs ≥ 1e15 > ms ≥ 1e12 > seconds. */
export function classifyTimeUnit(value: number): TimeUnit {
  if (value >= MICROS_THRESHOLD) return 'us';
  if (value >= MILLIS_THRESHOLD) return 'ms';
  return 's';
}

/** Converts an epoch value in µs, ms or s (classified by magnitude) to µs. */
export function toEpochUs(value: number): number {
  if (value >= MICROS_THRESHOLD) return value;
  if (value >= MILLIS_THRESHOLD) return value * US_PER_MS;
  return value * US_PER_SECOND;
}

/**
 * Parses an epoch timestamp written as decimal digits (the archives' `open_time`, `transact_time`, …)
 * and returns µs. Throws {@link DecodeError} for anything that is not a non-negative integer.
 */
export function parseEpochUs(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || !DIGITS.test(text)) {
    throw new DecodeError(`not an epoch timestamp: ${JSON.stringify(text)}`, text);
  }
  return toEpochUs(value);
}

const DIGITS = /^\d{1,16}$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?Z?$/;

/**
 * Parses a UTC text timestamp `YYYY-MM-DD HH:MM:SS[.ffffff]` (metrics, bookDepth) to µs. An impossible
 * date or time (`2025-02-30`, `24:00:00`) is rejected, not rolled over into another time.
 */
export function parseUtcDateTimeUs(text: string): number {
  const m = DATE_TIME.exec(text);
  if (m === null) throw new DecodeError(`not a UTC date-time: ${JSON.stringify(text)}`, text);
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  const back = new Date(ms);
  const fields = [back.getUTCFullYear(), back.getUTCMonth() + 1, back.getUTCDate(), back.getUTCHours(), back.getUTCMinutes(), back.getUTCSeconds()];
  if (Number.isNaN(ms) || fields.some((value, i) => value !== +m[i + 1])) {
    throw new DecodeError(`not a UTC date-time: ${JSON.stringify(text)}`, text);
  }
  const fraction = m[7] === undefined ? 0 : Number(m[7].padEnd(6, '0'));
  return ms * US_PER_MS + fraction;
}

/** Parses an inclusive UTC day `YYYY-MM-DD` to the µs of its midnight. */
export function parseUtcDayUs(day: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const ms = m === null ? Number.NaN : Date.UTC(+m[1], +m[2] - 1, +m[3]);
  if (m === null || Number.isNaN(ms) || formatUtcDay(ms * US_PER_MS) !== day) {
    throw new DecodeError(`not a UTC day (YYYY-MM-DD): ${JSON.stringify(day)}`, day);
  }
  return ms * US_PER_MS;
}

/** Formats µs as the UTC day `YYYY-MM-DD`. */
export function formatUtcDay(us: number): string {
  return new Date(Math.floor(us / US_PER_MS)).toISOString().slice(0, 10);
}

/** Formats µs as an ISO-8601 UTC string with microseconds (`2025-07-15T00:00:00.000000Z`). */
export function formatIsoUs(us: number): string {
  const ms = Math.floor(us / US_PER_MS);
  const micros = us - ms * US_PER_MS;
  return new Date(ms).toISOString().replace('Z', `${String(micros).padStart(3, '0')}Z`);
}
