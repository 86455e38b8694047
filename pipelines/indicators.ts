/**
 * `lakehouse indicators`: the gold layer's indicator values over backfilled history in the lake. Top to bottom:
 * the bars (indicators-source.ts: one stream's closed bars in the requested days, ordered, the highest version of
 * each, from the lake or ClickHouse) → indicators (the same operator `serve --indicators` runs) → the rows back into
 * the lake (type `indicators`, `source = derived`). The bars are read from the seeds before --from
 * (operators/indicator-epochs.ts), so the rows from --from on equal those of a run over the whole stream — the
 * ones `serve` computes.
 */
import { filter, lastValueFrom, of, toArray } from 'rxjs';
import { toParquetLake } from '../connectors/parquet/to-parquet-lake.js';
import { DEFAULT_INDICATORS, parseIndicatorSpecs } from '../operators/indicator-spec.js';
import { indicators, indicatorsSeedUs } from '../operators/indicators.js';
import { ConfigError } from '../schemas/errors.js';
import type { KlineInterval } from '../schemas/interval.js';
import type { IndicatorRecord } from '../schemas/records.js';
import type { Command } from './command.js';
import { resolveConfig, type OptionSpec, type ResolvedConfig } from './config.js';
import { INDICATORS_OPTION } from './indicator-options.js';
import { INDICATORS_SOURCE_OPTIONS, indicatorBars } from './indicators-source.js';
import { LAKE_STREAM_OPTIONS, lakeStreamOf } from './lake-stream.js';

const OPTIONS: readonly OptionSpec[] = [
  ...LAKE_STREAM_OPTIONS.map((o) => (o.name === 'type' ? { ...o, placeholder: 'klines:1m', doc: 'bar stream (klines:<interval>, also resampled bars; mark/index/premium price klines with an interval)' } : o)),
  { ...INDICATORS_OPTION, default: [...DEFAULT_INDICATORS] },
  ...INDICATORS_SOURCE_OPTIONS,
  { name: 'write', type: 'boolean', default: true, doc: 'write the rows into the lake (type indicators; --no-write: report only)' },
  { name: 'json', type: 'boolean', default: false, doc: 'print JSON lines (one per row, then a summary)' },
];

/** The result of an indicators run. */
export interface IndicatorsResult { rows: IndicatorRecord[]; bars: number }

/** Computes the indicators of one bar stream in the lake; writes the rows when `write`. */
export async function runIndicators(config: ResolvedConfig): Promise<IndicatorsResult> {
  const selection = lakeStreamOf(config, 'indicators', '--symbol BTCUSDT --type klines:1m --from 2025-07-01');
  const { symbol, typeText, stream, range, lake } = selection;
  if (stream.kind !== 'kline') throw new ConfigError(`lakehouse indicators: --type must name bars (klines:<interval>), got ${JSON.stringify(typeText)}`);
  const specs = parseIndicatorSpecs(config.indicators as readonly string[]);
  if (specs.length === 0) throw new ConfigError('lakehouse indicators: --indicators lists none');
  let bars = 0;
  // Read from the seed of the first rows: the rows from --from on are those of a run over the whole stream.
  const read = { fromUs: indicatorsSeedUs(specs, stream.interval as KlineInterval, range.fromUs), toUs: range.toUs };
  const rows = await lastValueFrom(indicatorBars(config, selection, read).pipe(
    filter((bar) => { if (bar.eventTimeUs >= range.fromUs) bars++; return true; }),
    indicators({ indicators: specs, passThrough: false }),
    filter((r): r is IndicatorRecord => r.kind === 'indicator' && r.openTimeUs >= range.fromUs),
    toArray(),
  ));
  if (config.write === true && rows.length > 0) {
    const unitId = `indicators:${symbol}:${typeText}:${range.fromUs}-${range.toUs}:${specs.map((s) => `${s.name}:${s.params}`).join(',')}`;
    await lastValueFrom(of({ kind: 'indicator' as const, unitId, records: rows }).pipe(toParquetLake({ root: lake }), toArray()));
  }
  return { rows, bars };
}

export const indicatorsCommand: Command = {
  name: 'indicators',
  usage: `indicators --market spot --symbol BTCUSDT --type klines:1m --from YYYY-MM-DD [--to YYYY-MM-DD] [--indicators ${DEFAULT_INDICATORS.join(',')}] [--json]
        [--source lake|clickhouse [--clickhouse-url URL]]

Reads the bars from the lake, or with --source clickhouse from the ClickHouse table klines (FINAL: the highest
version of each bar); the rows go into the lake (--lake) either way.

The bars are read from the indicators' seeds before --from (up to two epochs: README, gold layer), so the rows
from --from on equal those of a run over the whole stream, and those serve writes.`,
  options: OPTIONS,
  async run(argv, context) {
    const { config } = resolveConfig('indicators', OPTIONS, argv, context.env);
    const { rows, bars } = await runIndicators(config);
    const warm = rows.filter((r) => r.warmUp).length;
    const summary = { event: 'summary', bars, rows: rows.length, warmUp: warm, written: config.write === true && rows.length > 0 };
    if (config.json === true) {
      for (const row of rows) context.stdout.write(JSON.stringify(row) + '\n');
      context.stdout.write(JSON.stringify(summary) + '\n');
    } else {
      context.stdout.write(`${bars} bars read, ${rows.length} indicator rows (${warm} warm-up)${summary.written ? ', written to the lake (type indicators)' : ''}\n`);
    }
    return 0;
  },
};
