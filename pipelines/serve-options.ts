/**
 * The options of `lakehouse serve`, declared once (validated by resolveConfig) and turned into the serving
 * chain's settings here.
 */
import { GAP_FILL_POLICIES, type GapFillPolicy } from '../operators/fill-gaps.js';
import { ConfigError } from '../schemas/errors.js';
import { parseKlineInterval, type KlineInterval } from '../schemas/interval.js';
import { parseIndicatorSpecs, type IndicatorSpec } from '../operators/indicator-spec.js';
import { SINK_OPTIONS } from './backfill-sinks.js';
import { INDICATORS_OPTION } from './indicator-options.js';
import type { OptionSpec, ResolvedConfig } from './config.js';

/** Every option of `lakehouse serve`. */
export const SERVE_OPTIONS: readonly OptionSpec[] = [
  { name: 'groupId', type: 'string', default: 'lakehouse-serve', placeholder: 'G', doc: 'Kafka consumer group (run more processes with the same id to scale out; partitions are shared, state follows them)' },
  { name: 'topics', type: 'list', placeholder: 'md.binance.spot.trades,…', doc: 'topics to consume (default: every <topic-prefix>md.* input topic at start: not bars or dead letters; md.gaps records go to the stores as they are)' },
  { name: 'fromBeginning', type: 'boolean', default: true, doc: 'start at the earliest offset when the group has none' },
  { name: 'intervals', type: 'list', default: ['1m'], placeholder: '1m,5m,1h,1d', doc: 'bar intervals built from trades / aggTrades, and from klines every coarser one ("none": no bars)' },
  { ...INDICATORS_OPTION, doc: `${INDICATORS_OPTION.doc}, over every closed bar stream after resample (default: none)` },
  { name: 'fill', type: 'string', choices: GAP_FILL_POLICIES, default: 'none', doc: 'gaps: rest = authentic REST data, flat = synthetic bars at the previous close, none = ledger only' },
  { name: 'allowedLateness', type: 'string', default: '1s', placeholder: 'DURATION', doc: 'event time a record may trail its stream and still be ordered, deduplicated and counted in its bar (e.g. 500ms, 5s, 2m)' },
  { name: 'restUrl', type: 'string', placeholder: 'URL', check: 'url', doc: 'Binance-compatible REST base for --fill rest (default: the production host of the market)' },
  { name: 'idleFlush', type: 'string', default: '2s', placeholder: 'DURATION', doc: 'with no new input for this long, write what the operators hold back (open bars as provisional, isClosed false), then re-read it from the committed offsets' },
  { name: 'compactLake', type: 'boolean', default: true, doc: 'keep each lake day partition at one row per identity key (the highest version): compacted when its day is over, after 60 s without writes and at shutdown, its new parts merged every 64 writes meanwhile (--no-compact-lake: every copy stays until lakehouse compact)' },
  { name: 'maxInFlight', type: 'number', default: 4, placeholder: 'N', integer: true, min: 1, max: 64, doc: 'write cycles outstanding at once; meanwhile the outputs of the batches read are gathered into the next cycle' },
  ...SINK_OPTIONS.map((o) => (o.name === 'sink'
    ? { ...o, doc: 'Sinks: clickhouse (silver tables, klines with source resample, gaps, indicators), parquet (the lake), kafka (derived topics md.binance.<market>.bars.<interval>, md.binance.<market>.indicators.<interval> and md.gaps). Default: clickhouse when configured, plus parquet' }
    : o)),
];

const DURATION = /^(\d+(?:\.\d+)?)(us|µs|ms|s|m|h|d)?$/;
const US_PER_UNIT: Record<string, number> = { us: 1, µs: 1, ms: 1_000, s: 1_000_000, m: 60_000_000, h: 3_600_000_000, d: 86_400_000_000 };

/** A duration like `500ms`, `5s`, `2m`, `1h` (a bare number is milliseconds), in µs. */
export function parseDurationUs(text: string, flag: string): number {
  const match = DURATION.exec(text.trim());
  if (match === null) throw new ConfigError(`${flag}: not a duration: ${JSON.stringify(text)} (e.g. 500ms, 5s, 2m)`);
  return Math.round(Number(match[1]) * US_PER_UNIT[match[2] ?? 'ms']);
}

/** The serving chain's settings from resolved options. */
export function serveSettingsOf(config: ResolvedConfig): { intervals: KlineInterval[]; indicators: IndicatorSpec[]; allowedLatenessUs: number; fill: GapFillPolicy } {
  const listed = (config.intervals as readonly string[] | undefined) ?? [];
  const intervals = listed.length === 1 && listed[0] === 'none' ? [] : listed.map((i) => parseKlineInterval(i));
  const indicators = parseIndicatorSpecs((config.indicators as readonly string[] | undefined) ?? []);
  return { intervals, indicators, allowedLatenessUs: parseDurationUs(config.allowedLateness as string, '--allowed-lateness'), fill: config.fill as GapFillPolicy };
}
