/**
 * The selection shared by the commands that work on one stream already in the lake (`gaps`, `resample`):
 * `--market --symbol --type --from [--to]`, parsed once into the stream's kind, lake type, sort column and the
 * requested range of whole UTC days `[fromUs, toUs)`.
 */
import { isS3Url } from '../connectors/s3/s3-url.js';
import { ConfigError } from '../schemas/errors.js';
import { MARKETS, type Market, type PriceKind } from '../schemas/ids.js';
import { parseKlineInterval, type KlineInterval } from '../schemas/interval.js';
import type { KindName } from '../schemas/records.js';
import { US_PER_DAY, parseUtcDayUs } from '../schemas/time.js';
import type { OptionSpec, ResolvedConfig } from './config.js';
import { resolveDay } from './relative-day.js';

/** The option specs of the selection. */
export const LAKE_STREAM_OPTIONS: readonly OptionSpec[] = [
  { name: 'market', type: 'string', choices: MARKETS, default: 'spot', doc: 'market' },
  { name: 'symbol', type: 'string', placeholder: 'BTCUSDT', doc: 'symbol' },
  { name: 'type', type: 'string', placeholder: 'klines:1m|trades|aggTrades', doc: 'stream type (klines, markPriceKlines, indexPriceKlines, premiumIndexKlines with an interval; trades; aggTrades)' },
  { name: 'from', type: 'string', placeholder: 'DAY', doc: 'first UTC day, inclusive: YYYY-MM-DD, today, yesterday, -Nd or -Nw (resolved once at start)' },
  { name: 'to', type: 'string', placeholder: 'DAY', doc: 'last UTC day, inclusive, as --from (default --from)' },
  { name: 'lake', type: 'string', default: './lake', placeholder: 'DIR', doc: 'Parquet lake root', check: 'dir' },
];

const KLINE_TYPES: Record<string, PriceKind> = { klines: 'trade', markPriceKlines: 'mark', indexPriceKlines: 'index', premiumIndexKlines: 'premium' };

/** What a `--type` names in the lake. */
export interface LakeStreamType { kind: KindName; lakeType: string; orderBy: string; interval?: KlineInterval; priceKind?: PriceKind }

/** Parses `klines:1m`, `markPriceKlines:1h`, `trades`, `aggTrades`. */
export function parseLakeStreamType(text: string): LakeStreamType {
  const [name = '', intervalText] = text.split(':');
  if (name in KLINE_TYPES) {
    if (intervalText === undefined) throw new ConfigError(`--type ${name} needs an interval, e.g. ${name}:1m`);
    const interval = parseKlineInterval(intervalText);
    return { kind: 'kline', lakeType: `${name}_${interval}`, orderBy: 'openTimeUs', interval, priceKind: KLINE_TYPES[name] };
  }
  if (name === 'trades' && intervalText === undefined) return { kind: 'trade', lakeType: 'trades', orderBy: 'tradeId' };
  if (name === 'aggTrades' && intervalText === undefined) return { kind: 'aggTrade', lakeType: 'aggTrades', orderBy: 'aggTradeId' };
  throw new ConfigError(`--type ${JSON.stringify(text)}: expected klines:<interval> (or mark/index/premium price klines), trades or aggTrades`);
}

/** One lake stream over whole UTC days. */
export interface LakeStreamSelection {
  readonly market: Market;
  readonly symbol: string;
  readonly typeText: string;
  readonly stream: LakeStreamType;
  readonly range: { readonly fromUs: number; readonly toUs: number };
  readonly lake: string;
}

/** Reads the selection from resolved options; `example` completes the error for missing options. */
export function lakeStreamOf(config: ResolvedConfig, command: string, example: string, nowMs = Date.now()): LakeStreamSelection {
  const symbol = (config.symbol as string | undefined)?.toUpperCase();
  const typeText = config.type as string | undefined;
  const fromDay = config.from as string | undefined;
  if (symbol === undefined || typeText === undefined || fromDay === undefined) {
    throw new ConfigError(`lakehouse ${command}: --symbol, --type and --from are required (e.g. ${example})`);
  }
  if (symbol.includes(',')) {
    throw new ConfigError(`lakehouse ${command}: --symbol takes one symbol, got ${JSON.stringify(symbol)}; run the command once per symbol`);
  }
  const lake = config.lake as string;
  if (isS3Url(lake)) throw new ConfigError(`lakehouse ${command}: --lake s3://… is not supported here; give a local lake directory`);
  const from = resolveDay(fromDay, nowMs);
  const range = { fromUs: parseUtcDayUs(from), toUs: parseUtcDayUs(config.to === undefined ? from : resolveDay(config.to as string, nowMs)) + US_PER_DAY };
  if (range.toUs <= range.fromUs) throw new ConfigError(`lakehouse ${command}: --to is before --from`);
  return { market: config.market as Market, symbol, typeText, stream: parseLakeStreamType(typeText), range, lake };
}
