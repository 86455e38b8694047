/**
 * Pure planning: a request (markets × symbols × types × inclusive UTC days) becomes the list of archive files
 * to load. Whole calendar months that have ended use the monthly file (with the daily files as a fallback
 * when the monthly one is missing); the rest use daily files; monthly-only types (fundingRate, 3d/1w/1M
 * klines) use the monthly files of every month touched, filtered to the requested days. Impossible requests
 * throw a {@link ConfigError} that says what would be possible instead.
 */
import { ConfigError } from '../../schemas/errors.js';
import { MARKETS, type Market } from '../../schemas/ids.js';
import { archiveIntervalName, parseKlineInterval, type KlineInterval } from '../../schemas/interval.js';
import type { KindName } from '../../schemas/records.js';
import { US_PER_DAY, formatUtcDay, parseUtcDayUs } from '../../schemas/time.js';
import {
  ARCHIVE_DATA_TYPES, DATA_TYPE_SPECS, hasPeriod, isArchiveDataType, marketPath,
  type ArchiveDataType, type ArchivePeriod, type DataTypeSpec,
} from './data-types.js';

/** One requested type: `klines:1m` → `{ dataType: 'klines', interval: '1m' }`. */
export interface TypeRequest {
  readonly dataType: ArchiveDataType;
  readonly interval: KlineInterval | null;
}

/** What to load. Days are inclusive UTC days `YYYY-MM-DD`. */
export interface ArchiveRequest {
  readonly markets: readonly Market[];
  readonly symbols: readonly string[];
  readonly types: readonly TypeRequest[];
  readonly fromDay: string;
  readonly toDay: string;
  /** `auto` (default): monthly files for whole past months, daily otherwise. */
  readonly period?: ArchivePeriod | 'auto';
  /** "Now" in µs, to tell whole past months from the current one. @default Date.now() */
  readonly nowUs?: number;
}

/** One archive object to load. */
export interface ArchiveFile {
  /** Object key, e.g. `data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2020-01-01.zip`. */
  readonly key: string;
  readonly market: Market;
  readonly dataType: ArchiveDataType;
  readonly kind: KindName;
  readonly symbol: string;
  readonly interval: KlineInterval | null;
  readonly period: ArchivePeriod;
  /** `YYYY-MM-DD` (daily) or `YYYY-MM` (monthly). */
  readonly date: string;
  /** Records outside [rangeStartUs, rangeEndUs) are not loaded (monthly files of a partial month). */
  readonly rangeStartUs: number;
  readonly rangeEndUs: number;
  /** Daily files to load instead when this monthly file is missing upstream. */
  readonly fallback: readonly ArchiveFile[];
}

const SYMBOL = /^[A-Z0-9][A-Z0-9_-]{1,39}$/;

/** Parses `klines:1m,trades,markPriceKlines:1h` into type requests; throws {@link ConfigError} on bad input. */
export function parseTypeRequests(items: readonly string[]): TypeRequest[] {
  return items.map((item) => {
    const [name = '', intervalText, ...extra] = item.split(':');
    if (!isArchiveDataType(name) || extra.length > 0) {
      throw new ConfigError(`unknown archive data type ${JSON.stringify(item)}; expected one of ${ARCHIVE_DATA_TYPES.join(', ')} (klines types as klines:1m)`);
    }
    const typeSpec = DATA_TYPE_SPECS[name];
    if (typeSpec.hasInterval && intervalText === undefined) {
      throw new ConfigError(`${name} needs an interval, e.g. ${name}:1m`);
    }
    if (!typeSpec.hasInterval && intervalText !== undefined) {
      throw new ConfigError(`${name} has no interval; write ${name}, not ${item}`);
    }
    return { dataType: name, interval: intervalText === undefined ? null : parseKlineInterval(intervalText) };
  });
}

/** The object key of a file (docs/BINANCE.md §1.1). */
export function archiveKey(market: Market, period: ArchivePeriod, dataType: ArchiveDataType, symbol: string, interval: KlineInterval | null, date: string): string {
  const folder = `data/${marketPath(market)}/${period}/${dataType}/${symbol}/`;
  if (interval !== null) {
    const name = archiveIntervalName(interval);
    return `${folder}${name}/${symbol}-${name}-${date}.zip`;
  }
  return `${folder}${symbol}-${dataType}-${date}.zip`;
}

/** The listing prefix (folder) holding a type's files of one symbol and period. */
export function archiveFolder(market: Market, period: ArchivePeriod, dataType: ArchiveDataType, symbol: string, interval: KlineInterval | null): string {
  const key = archiveKey(market, period, dataType, symbol, interval, 'X');
  return key.slice(0, key.lastIndexOf('/') + 1);
}

/** Checks that a request can be served at all; throws a {@link ConfigError} naming what is possible. */
export function validateRequest(request: ArchiveRequest): void {
  if (request.markets.length === 0) throw new ConfigError(`no market given; expected some of ${MARKETS.join(', ')}`);
  if (request.symbols.length === 0) throw new ConfigError('no symbol given (e.g. --symbols BTCUSDT)');
  if (request.types.length === 0) throw new ConfigError('no data type given (e.g. --types klines:1m,trades)');
  for (const symbol of request.symbols) {
    if (!SYMBOL.test(symbol)) throw new ConfigError(`not a Binance symbol: ${JSON.stringify(symbol)} (expected upper case like BTCUSDT or BTCUSD_PERP)`);
  }
  const fromUs = dayUs(request.fromDay, 'from');
  const toUs = dayUs(request.toDay, 'to');
  if (fromUs > toUs) throw new ConfigError(`--from ${request.fromDay} is after --to ${request.toDay} (days are inclusive)`);
  for (const market of request.markets) {
    for (const type of request.types) validateType(market, DATA_TYPE_SPECS[type.dataType], type.interval, request.period ?? 'auto');
  }
}

function dayUs(day: string, flag: string): number {
  try {
    return parseUtcDayUs(day);
  } catch {
    throw new ConfigError(`--${flag} must be a UTC day YYYY-MM-DD; got ${JSON.stringify(day)}`);
  }
}

function validateType(market: Market, typeSpec: DataTypeSpec, interval: KlineInterval | null, period: ArchivePeriod | 'auto'): void {
  const name = typeSpec.dataType;
  if (!typeSpec.markets.includes(market)) {
    throw new ConfigError(`${name} is not published for market ${market}; it exists for ${typeSpec.markets.join(', ')}`);
  }
  if (interval === '1s' && market !== 'spot') {
    throw new ConfigError(`1s ${name} exist for spot only; ${market} intervals start at 1m`);
  }
  if (period !== 'auto' && !hasPeriod(typeSpec, period, interval)) {
    const other = period === 'daily' ? 'monthly' : 'daily';
    const what = interval === null ? name : `${name}:${interval}`;
    throw new ConfigError(`${what} has no ${period} files (only ${other}); use --period ${other} or auto`);
  }
}

/** Expands a request into archive files, in market, symbol, type, date order. Pure. */
export function planArchiveFiles(request: ArchiveRequest): ArchiveFile[] {
  validateRequest(request);
  const fromUs = parseUtcDayUs(request.fromDay);
  const endUs = parseUtcDayUs(request.toDay) + US_PER_DAY;
  const nowUs = request.nowUs ?? Date.now() * 1000;
  const files: ArchiveFile[] = [];
  for (const market of request.markets) {
    for (const symbol of request.symbols) {
      for (const type of request.types) {
        const base = { market, symbol, dataType: type.dataType, interval: type.interval, kind: DATA_TYPE_SPECS[type.dataType].kind };
        files.push(...planType(base, fromUs, endUs, nowUs, request.period ?? 'auto'));
      }
    }
  }
  return files;
}

type FileBase = Pick<ArchiveFile, 'market' | 'symbol' | 'dataType' | 'interval' | 'kind'>;

function planType(base: FileBase, fromUs: number, endUs: number, nowUs: number, period: ArchivePeriod | 'auto'): ArchiveFile[] {
  const typeSpec = DATA_TYPE_SPECS[base.dataType];
  const daily = hasPeriod(typeSpec, 'daily', base.interval) && period !== 'monthly';
  const monthly = hasPeriod(typeSpec, 'monthly', base.interval) && period !== 'daily';
  const files: ArchiveFile[] = [];
  for (const month of monthsTouched(fromUs, endUs)) {
    const startUs = Math.max(month.startUs, fromUs);
    const stopUs = Math.min(month.endUs, endUs);
    const whole = startUs === month.startUs && stopUs === month.endUs && month.endUs <= nowUs;
    const dailies = daily ? daysIn(startUs, stopUs).map((day) => makeFile(base, 'daily', day, day)) : [];
    if (monthly && (whole || !daily)) {
      files.push({ ...makeFile(base, 'monthly', month.name, ''), rangeStartUs: startUs, rangeEndUs: stopUs, fallback: dailies });
    } else {
      files.push(...dailies);
    }
  }
  return files;
}

function makeFile(base: FileBase, period: ArchivePeriod, date: string, day: string): ArchiveFile {
  const startUs = day === '' ? 0 : parseUtcDayUs(day);
  return {
    ...base, period, date, key: archiveKey(base.market, period, base.dataType, base.symbol, base.interval, date),
    rangeStartUs: startUs, rangeEndUs: day === '' ? 0 : startUs + US_PER_DAY, fallback: [],
  };
}

function monthsTouched(fromUs: number, endUs: number): { name: string; startUs: number; endUs: number }[] {
  const months = [];
  const first = new Date(fromUs / 1000);
  for (let y = first.getUTCFullYear(), m = first.getUTCMonth(); ; m++) {
    const startUs = Date.UTC(y, m, 1) * 1000;
    if (startUs >= endUs) break;
    months.push({ name: formatUtcDay(startUs).slice(0, 7), startUs, endUs: Date.UTC(y, m + 1, 1) * 1000 });
  }
  return months;
}

function daysIn(fromUs: number, endUs: number): string[] {
  const days = [];
  for (let us = fromUs; us < endUs; us += US_PER_DAY) days.push(formatUtcDay(us));
  return days;
}
