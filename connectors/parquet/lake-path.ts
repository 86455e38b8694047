/**
 * The Parquet lake's layout, pure: Hive-style partitions
 * `exchange=<e>/market=<m>/type=<t>/symbol=<S>/date=<YYYY-MM-DD>/<part>.parquet`, the kind-based `type`
 * names, and deterministic part names derived from the batch's unit id (a retry replaces the same file).
 */
import { createHash } from 'node:crypto';
import type { AnyRecord } from '../../schemas/records.js';
import { US_PER_MS } from '../../schemas/time.js';

const PRICE_KLINE_PREFIX = { trade: 'klines', mark: 'markPriceKlines', index: 'indexPriceKlines', premium: 'premiumIndexKlines' } as const;

const TYPE_OF_KIND = {
  trade: 'trades', aggTrade: 'aggTrades', bookTicker: 'bookTicker', bookDepth: 'bookDepth', fundingRate: 'fundingRate',
  metrics: 'metrics', liquidation: 'liquidationSnapshot', bvolIndex: 'BVOLIndex', eohSummary: 'EOHSummary',
  markPrice: 'markPrice', depthUpdate: 'depthUpdate', bookSnapshot: 'bookSnapshot', gap: 'gaps', deadLetter: 'deadLetters',
  indicator: 'indicators', quality: 'quality',
} as const;

/** Every lake type name that is not a kline type (kline types are `<prefix>_<interval>`). */
export const LAKE_FIXED_TYPES = Object.values(TYPE_OF_KIND);

/**
 * The lake `type` of a record: the archive's data-type name (`trades`, `aggTrades`, `bookTicker`, …), for klines
 * `klines_<interval>` / `markPriceKlines_<interval>` / `indexPriceKlines_<interval>` / `premiumIndexKlines_<interval>`,
 * `gaps` / `deadLetters` for the side outputs, `indicators` / `quality` for the gold layer's values.
 */
export function lakeTypeOf(record: AnyRecord): string {
  if (record.kind === 'kline') return `${PRICE_KLINE_PREFIX[record.priceKind]}_${record.interval}`;
  return TYPE_OF_KIND[record.kind];
}

/** The record kind stored under a lake type (`trades` → trade, `klines_1m` → kline), or undefined for a name no kind writes. */
export function kindOfLakeType(type: string): AnyRecord['kind'] | undefined {
  const prefix = /^([A-Za-z]+)_[0-9]+[smhdwM]$/.exec(type)?.[1];
  if (prefix !== undefined) return (Object.values(PRICE_KLINE_PREFIX) as string[]).includes(prefix) ? 'kline' : undefined;
  return (Object.keys(TYPE_OF_KIND) as (keyof typeof TYPE_OF_KIND)[]).find((kind) => TYPE_OF_KIND[kind] === type);
}

/** The UTC calendar date (`YYYY-MM-DD`) of a µs timestamp. */
export function utcDateOfUs(timeUs: number): string {
  return new Date(Math.floor(timeUs / US_PER_MS)).toISOString().slice(0, 10);
}

/**
 * A Hive partition value made safe for one path segment: `/`, `\\`, `=`, `%`, control and shell-hostile
 * characters become `%XX`, a value of only dots has them escaped, and the empty string becomes `_`.
 */
export function hiveValue(value: string): string {
  if (value === '') return '_';
  const hex = (c: string): string => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0');
  const escaped = value.replace(/[%/\\=\u0000-\u001f\u007f:*?"<>|#]/g, hex);
  return /^\.+$/.test(escaped) ? escaped.replace(/\./g, hex) : escaped;
}

/** The partition directory (relative, `/`-separated) a record belongs in. */
export function partitionPathOf(record: AnyRecord): string {
  return [
    `exchange=${hiveValue(record.exchange)}`,
    `market=${hiveValue(record.market)}`,
    `type=${hiveValue(lakeTypeOf(record))}`,
    `symbol=${hiveValue(record.symbol)}`,
    `date=${utcDateOfUs(record.eventTimeUs)}`,
  ].join('/');
}

const US_PER_DAY = 86_400 * 1_000_000;
const CACHED_PATHS = 16;

interface CachedPath {
  readonly exchange: string;
  readonly market: string;
  readonly type: string;
  readonly symbol: string;
  /** The cached UTC day is `[startUs, endUs)`. */
  readonly startUs: number;
  readonly endUs: number;
  readonly path: string;
}

/** The lake type without allocating for the common (non-kline) kinds. */
function typeKeyOf(record: AnyRecord): string {
  return record.kind === 'kline' ? lakeTypeOf(record) : TYPE_OF_KIND[record.kind];
}

/**
 * A {@link partitionPathOf} with memory: the last {@link CACHED_PATHS} (exchange, market, type, symbol, UTC day)
 * paths are kept with their day's `[start, end)` in µs, so a record inside a cached day reuses the path string
 * (no escaping, no `Date`). Results are identical to `partitionPathOf`, including errors for invalid times (a
 * NaN or out-of-range time never matches a cached day). State is per returned function; memory is bounded.
 */
export function cachedPartitionPathOf(): (record: AnyRecord) => string {
  const cache: CachedPath[] = [];
  let next = 0;
  return (record) => {
    const t = record.eventTimeUs;
    const type = typeKeyOf(record);
    for (let i = 0; i < cache.length; i++) {
      const c = cache[i];
      if (t >= c.startUs && t < c.endUs && c.symbol === record.symbol && c.type === type
        && c.market === record.market && c.exchange === record.exchange) return c.path;
    }
    const path = partitionPathOf(record);
    const startUs = Math.floor(Math.floor(t / US_PER_MS) / 86_400_000) * US_PER_DAY;
    const entry = { exchange: record.exchange, market: record.market, type, symbol: record.symbol, startUs, endUs: startUs + US_PER_DAY, path };
    if (cache.length < CACHED_PATHS) cache.push(entry);
    else cache[next] = entry;
    next = (next + 1) % CACHED_PATHS;
    return path;
  };
}

/** Characters of the sanitized unit id a part name keeps (its tail). */
const READABLE_CHARS = 60;
/** A part name cut to its tail must still hold this much of the unit prefix (a 16-hex content digest and `_`). */
const MIN_KEPT_PREFIX_CHARS = 17;
/** What makes a file hidden to Hive-style readers. */
const HIDDEN_START = /^[._]+/;
/**
 * A cut tail loses its leading `.`/`_` (at most a few: sanitizing collapses every other run to one `_`), so a
 * cut name's readable part is at least this long; an uncut name shorter than it must hold the whole prefix.
 */
const MIN_CUT_CHARS = READABLE_CHARS - 8;

/**
 * The deterministic file name of a unit's part: a readable, sanitized tail of the unit id plus 16 hex digits
 * of its SHA-256, e.g. `BTCUSDT-trades-2025-07-01.zip_0-3f9a…​.parquet`. The same unit id always gives the
 * same name, so a retried batch replaces its file. A name never starts with `_` or `.`: Hive-style readers
 * (pyarrow, Spark, Hive, Trino) skip such files as hidden, so the tail loses those leading characters.
 */
export function partNameOf(unitId: string): string {
  const digest = createHash('sha256').update(unitId).digest('hex').slice(0, 16);
  const readable = readableOf(unitId).slice(-READABLE_CHARS).replace(HIDDEN_START, '');
  return `${readable === '' ? 'part' : readable}-${digest}.parquet`;
}

function readableOf(unitId: string): string {
  return unitId.replace(/[^A-Za-z0-9._-]+/g, '_').replace(HIDDEN_START, '');
}

/**
 * Whether `name` is a part {@link partNameOf} named for some unit id `<unitPrefix>#<rest>` (e.g. every part of
 * `data/…/BTCUSDT-trades-2025-07-01.zip@<sha16>`). The readable tail holds the sanitized prefix and `_`; when the
 * unit id was longer than the kept tail, at least the prefix's last {@link MIN_KEPT_PREFIX_CHARS} characters.
 * Names of earlier versions, whose cut tail could start with `.` or `_`, match too (a rerun replaces them).
 */
export function isPartOfUnit(name: string, unitPrefix: string): boolean {
  const match = /^(.+)-[0-9a-f]{16}\.parquet$/.exec(name);
  if (match === null) return false;
  const readable = match[1];
  const prefix = readableOf(`${unitPrefix}#`);
  if (readable.startsWith(prefix)) return readable.length > prefix.length;
  if (readable.length < MIN_CUT_CHARS) return false;
  for (let kept = MIN_KEPT_PREFIX_CHARS; kept < prefix.length && kept < readable.length; kept++) {
    if (readable.startsWith(prefix.slice(-kept))) return true;
  }
  return false;
}
