/** Option specs shared by `lakehouse backfill` and `lakehouse mirror`: what to take from which archive. */
import { MARKETS, type Market } from '../schemas/ids.js';
import { ConfigError } from '../schemas/errors.js';
import { parseTypeRequests, type ArchiveRequest } from '../connectors/binance-archive/plan.js';
import type { OptionSpec, ResolvedConfig } from './config.js';
import { MAX_TIMER_MS } from './option-checks.js';
import { resolveDay } from './relative-day.js';

/** Options naming the files (market, symbols, types, days) and the archive. */
export const ARCHIVE_OPTIONS: readonly OptionSpec[] = [
  { name: 'market', type: 'list', doc: 'Markets', default: ['spot'], choices: MARKETS, placeholder: 'spot,um,cm,option' },
  { name: 'symbols', type: 'list', doc: 'Symbols as Binance spells them', placeholder: 'BTCUSDT,ETHUSDT' },
  { name: 'types', type: 'list', doc: 'Data types; kline types with interval (klines:1m, markPriceKlines:1h, trades, aggTrades, fundingRate, bookDepth, metrics, …)', placeholder: 'klines:1m,trades' },
  { name: 'from', type: 'string', doc: 'First UTC day, inclusive: YYYY-MM-DD, today, yesterday, -Nd or -Nw (resolved once at start)', placeholder: 'DAY' },
  { name: 'to', type: 'string', doc: 'Last UTC day, inclusive, as --from (default: --from)', placeholder: 'DAY' },
  { name: 'period', type: 'string', doc: 'File period: auto = monthly files for whole past months, daily otherwise', default: 'auto', choices: ['auto', 'daily', 'monthly'] },
  { name: 'archive', type: 'string', doc: 'Archive: https URL (data.binance.vision or a mirror), local directory, or s3://bucket/prefix', default: 'https://data.binance.vision', placeholder: 'URL|DIR|s3://b/p', check: 'archive' },
  { name: 'listingUrl', type: 'string', doc: 'S3 ListObjects endpoint of an HTTP archive (default: derived from --archive)', placeholder: 'URL', check: 'url' },
  { name: 'list', type: 'boolean', doc: 'Discover availability from the bucket listing (--no-list: assume every planned file exists)', default: true },
  { name: 'verify', type: 'boolean', doc: 'Verify SHA-256 against .CHECKSUM (--no-verify loads unverified data)', default: true },
  { name: 'concurrency', type: 'number', doc: 'Files downloaded and verified at once; parsing then takes big files one at a time, small ones several at once', default: 8, integer: true, min: 1, max: 64 },
  { name: 'timeoutMs', type: 'number', doc: 'HTTP response/stall timeout, ms', default: 30000, integer: true, min: 1, max: MAX_TIMER_MS },
  { name: 's3Endpoint', type: 'string', doc: 'S3 endpoint for s3:// archives and lakes', env: ['S3_ENDPOINT'], check: 'url' },
  { name: 's3Region', type: 'string', doc: 'S3 region', env: ['AWS_REGION', 'AWS_DEFAULT_REGION'] },
  { name: 'awsAccessKeyId', type: 'string', doc: 'S3 access key id', env: ['AWS_ACCESS_KEY_ID'] },
  { name: 'awsSecretAccessKey', type: 'string', doc: 'S3 secret key', env: ['AWS_SECRET_ACCESS_KEY'], secret: true },
];

/** The archive request of resolved options (relative days resolved at `nowMs`); throws {@link ConfigError} for missing or bad values. */
export function archiveRequestOf(config: ResolvedConfig, command: string, nowMs = Date.now()): ArchiveRequest {
  const list = (name: string): string[] => [...((config[name] as readonly string[] | undefined) ?? [])];
  const from = config.from === undefined ? undefined : resolveDay(config.from as string, nowMs);
  if (list('symbols').length === 0 || list('types').length === 0 || from === undefined) {
    throw new ConfigError(`lakehouse ${command}: --symbols, --types and --from are required (e.g. --symbols BTCUSDT --types klines:1m --from 2025-07-01)`);
  }
  return {
    markets: list('market') as Market[], symbols: list('symbols').map((s) => s.toUpperCase()),
    types: parseTypeRequests(list('types')), fromDay: from, toDay: config.to === undefined ? from : resolveDay(config.to as string, nowMs),
    period: config.period as 'auto' | 'daily' | 'monthly',
  };
}
