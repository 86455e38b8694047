/**
 * `lakehouse resample`: the gold layer's bars from the lake. Top to bottom: fromParquetLake (one stream's klines,
 * trades or aggTrades in the requested days, ordered) → resample (UTC windows, Monday weeks, calendar months;
 * trades/aggTrades → klines with every kline field) → the bars back into the lake (`source = resample`, types
 * `klines_<interval>` …). Where archive klines of the same window are in the lake too, both rows exist there;
 * version-aware readers keep the higher version (the archive's), as ClickHouse's ReplacingMergeTree does.
 */
import { filter, lastValueFrom, of, toArray } from 'rxjs';
import { fromParquetLake } from '../connectors/parquet/from-parquet-lake.js';
import { toParquetLake } from '../connectors/parquet/to-parquet-lake.js';
import { resample } from '../operators/resample.js';
import { ConfigError } from '../schemas/errors.js';
import { KLINE_INTERVALS, parseKlineInterval, type KlineInterval } from '../schemas/interval.js';
import type { KlineRecord } from '../schemas/records.js';
import type { Command } from './command.js';
import { resolveConfig, type OptionSpec, type ResolvedConfig } from './config.js';
import { LAKE_STREAM_OPTIONS, lakeStreamOf } from './lake-stream.js';

const OPTIONS: readonly OptionSpec[] = [
  ...LAKE_STREAM_OPTIONS,
  { name: 'intervals', type: 'list', placeholder: '5m,1h,1d', doc: 'target intervals (coarser than the input; "all" for every one)' },
  { name: 'write', type: 'boolean', default: true, doc: 'write the bars into the lake (--no-write: report only)' },
];

function targetIntervals(config: ResolvedConfig): readonly KlineInterval[] | 'all' {
  const listed = (config.intervals as readonly string[] | undefined) ?? [];
  if (listed.length === 0) throw new ConfigError('lakehouse resample: --intervals is required (e.g. --intervals 5m,1h,1d or all)');
  if (listed.length === 1 && listed[0] === 'all') return 'all';
  return listed.map((i) => parseKlineInterval(i));
}

/** Builds the bars of one lake stream; writes them when `write`. Resolves to the closed bars. */
export async function runResample(config: ResolvedConfig): Promise<{ bars: KlineRecord[]; scanned: number }> {
  const { market, symbol, typeText, stream, range, lake } = lakeStreamOf(config, 'resample', '--symbol BTCUSDT --type klines:1m --intervals 1h --from 2025-07-01');
  const intervals = targetIntervals(config);
  if (stream.interval !== undefined && intervals !== 'all' && intervals.some((i) => KLINE_INTERVALS.indexOf(i) <= KLINE_INTERVALS.indexOf(stream.interval as KlineInterval))) {
    throw new ConfigError(`lakehouse resample: every target interval must be coarser than the input ${stream.interval}`);
  }
  let scanned = 0;
  const bars = await lastValueFrom(fromParquetLake({
    root: lake, type: stream.lakeType, kind: stream.kind, symbol, market, range, orderBy: stream.orderBy,
  }).pipe(
    filter(() => { scanned++; return true; }),
    resample({ intervals, passThrough: false }),
    filter((r): r is KlineRecord => r.kind === 'kline' && r.source === 'resample' && r.isClosed),
    toArray(),
  ));
  if (config.write === true && bars.length > 0) {
    const unitId = `resample:${symbol}:${typeText}:${range.fromUs}-${range.toUs}`;
    await lastValueFrom(of({ kind: 'kline' as const, unitId, records: bars }).pipe(toParquetLake({ root: lake }), toArray()));
  }
  return { bars, scanned };
}

export const resampleCommand: Command = {
  name: 'resample',
  usage: 'resample --market spot --symbol BTCUSDT --type klines:1m|trades|aggTrades --intervals 5m,1h,1d --from YYYY-MM-DD [--to YYYY-MM-DD]',
  options: OPTIONS,
  async run(argv, context) {
    const { config } = resolveConfig('resample', OPTIONS, argv, context.env);
    const { bars, scanned } = await runResample(config);
    const perInterval = new Map<string, number>();
    for (const bar of bars) perInterval.set(bar.interval, (perInterval.get(bar.interval) ?? 0) + 1);
    context.stdout.write(`${scanned} records read, ${bars.length} bars built (${[...perInterval].map(([i, n]) => `${i}: ${n}`).join(', ') || 'none'})${config.write === true ? ', written to the lake' : ''}\n`);
    return 0;
  },
};
