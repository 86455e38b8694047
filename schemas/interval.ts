/**
 * Kline intervals, spelled as the Binance API spells them (`1M` is a calendar month; the archive paths
 * spell it `1mo`). Window arithmetic is UTC-aligned: fixed intervals align to the epoch (so `3d` windows
 * follow Binance's epoch-aligned 3-day candles), weeks start on Monday, months are calendar months.
 */
import { ConfigError } from './errors.js';
import { US_PER_DAY, US_PER_HOUR, US_PER_MINUTE, US_PER_MS, US_PER_SECOND } from './time.js';

/** Every kline interval Binance serves, shortest first. */
export const KLINE_INTERVALS = [
  '1s', '1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d', '3d', '1w', '1M',
] as const;
export type KlineInterval = (typeof KLINE_INTERVALS)[number];

const FIXED_US: Record<Exclude<KlineInterval, '1M'>, number> = {
  '1s': US_PER_SECOND, '1m': US_PER_MINUTE, '3m': 3 * US_PER_MINUTE, '5m': 5 * US_PER_MINUTE,
  '15m': 15 * US_PER_MINUTE, '30m': 30 * US_PER_MINUTE, '1h': US_PER_HOUR, '2h': 2 * US_PER_HOUR,
  '4h': 4 * US_PER_HOUR, '6h': 6 * US_PER_HOUR, '8h': 8 * US_PER_HOUR, '12h': 12 * US_PER_HOUR,
  '1d': US_PER_DAY, '3d': 3 * US_PER_DAY, '1w': 7 * US_PER_DAY,
};

/** The epoch (1970-01-01) was a Thursday; Monday-aligned weeks are offset by four days. */
const WEEK_OFFSET_US = 4 * US_PER_DAY;

/** True when `text` is a Binance kline interval (API spelling). */
export function isKlineInterval(text: string): text is KlineInterval {
  return (KLINE_INTERVALS as readonly string[]).includes(text);
}

/** Parses an interval in API (`1M`) or archive (`1mo`) spelling; throws {@link ConfigError} otherwise. */
export function parseKlineInterval(text: string): KlineInterval {
  const api = text === '1mo' ? '1M' : text;
  if (isKlineInterval(api)) return api;
  throw new ConfigError(`unknown kline interval ${JSON.stringify(text)}; expected one of ${KLINE_INTERVALS.join(', ')} (or 1mo)`);
}

/** The archive path spelling of an interval (`1M` → `1mo`). */
export function archiveIntervalName(interval: KlineInterval): string {
  return interval === '1M' ? '1mo' : interval;
}

/** The fixed length of an interval in µs, or `undefined` for the calendar month. */
export function fixedIntervalUs(interval: KlineInterval): number | undefined {
  return interval === '1M' ? undefined : FIXED_US[interval];
}

/** Where the windows of a fixed interval are aligned, µs after the epoch: Monday for weeks, else the epoch. */
export function windowOffsetUs(interval: KlineInterval): number {
  return interval === '1w' ? WEEK_OFFSET_US : 0;
}

/** The start (µs) of the window of `interval` that contains `timeUs`. */
export function windowStartUs(timeUs: number, interval: KlineInterval): number {
  if (interval === '1M') {
    const d = new Date(Math.floor(timeUs / US_PER_MS));
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) * US_PER_MS;
  }
  const size = FIXED_US[interval];
  const offset = windowOffsetUs(interval);
  return Math.floor((timeUs - offset) / size) * size + offset;
}

/** The start (µs) of the window after the one starting at `startUs`. */
export function nextWindowStartUs(startUs: number, interval: KlineInterval): number {
  if (interval === '1M') {
    const d = new Date(Math.floor(startUs / US_PER_MS));
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) * US_PER_MS;
  }
  return windowStartUs(startUs, interval) + FIXED_US[interval];
}

/** True when every window of `coarse` is an exact union of windows of `fine` (resampling is possible). */
export function isCoarserInterval(fine: KlineInterval, coarse: KlineInterval): boolean {
  const fineIndex = KLINE_INTERVALS.indexOf(fine);
  const coarseIndex = KLINE_INTERVALS.indexOf(coarse);
  if (coarseIndex <= fineIndex) return false;
  if (coarse === '1M') return fine !== '1w' && fine !== '3d';
  if (coarse === '1w') return fine !== '3d';
  return FIXED_US[coarse] % FIXED_US[fine as Exclude<KlineInterval, '1M'>] === 0;
}
