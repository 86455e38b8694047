/**
 * `lakehouse quality`: a quality score per UTC day of one stream in the lake, for a cron job or a dashboard to
 * alert on. Top to bottom: fromParquetLake (the stream's kept records, ordered) → detectGaps (holes against the
 * days, with the cause the gap ledger in the lake gives them where it has one) → per day: completeness
 * (covered windows or ids / expected), missing by cause, duplicates (stored copies beyond the kept one), dead
 * letters and late records of the symbol → `quality` rows, printed and written to the lake (type `quality`)
 * and / or the ClickHouse table `quality` (`--sink`).
 */
import { lastValueFrom, of, tap, toArray } from 'rxjs';
import { fromParquetLake } from '../connectors/parquet/from-parquet-lake.js';
import { lakeTypesIn, queryLake, quoteDuckIdentifier, quoteDuckString } from '../connectors/parquet/query-lake.js';
import { detectGaps } from '../operators/detect-gaps.js';
import { ConfigError } from '../schemas/errors.js';
import type { DeadLetterRecord, GapRecord, QualityRecord } from '../schemas/records.js';
import { US_PER_DAY } from '../schemas/time.js';
import { SINK_OPTIONS, buildSinks } from './backfill-sinks.js';
import type { Command } from './command.js';
import { resolveConfig, type OptionSpec, type ResolvedConfig } from './config.js';
import { LAKE_STREAM_OPTIONS, lakeStreamOf, type LakeStreamSelection } from './lake-stream.js';
import { QualityTally } from './quality-tally.js';

const OPTIONS: readonly OptionSpec[] = [
  ...LAKE_STREAM_OPTIONS,
  { name: 'minCompleteness', type: 'number', default: 0, min: 0, max: 1, placeholder: '0..1', doc: `exit with status 5 when a day's completeness is below this (e.g. 0.999)` },
  { name: 'write', type: 'boolean', default: true, doc: 'write the scores to the sinks (--no-write: report only)' },
  { name: 'sink', type: 'list', default: ['parquet'], choices: ['parquet', 'clickhouse'], placeholder: 'parquet,clickhouse', doc: 'where the scores go: the lake (type quality) and/or the ClickHouse table quality, for a dashboard to alert on' },
  // The ClickHouse sink's connection, as backfill takes it.
  ...SINK_OPTIONS.filter((o) => o.name.startsWith('clickhouse')),
  { name: 'json', type: 'boolean', default: false, doc: 'print JSON lines (one quality row per day, then a summary)' },
];

/** Exit status when some day is below `--min-completeness`. */
export const EXIT_INCOMPLETE = 5;

/** The ledger gap of the same stream overlapping a detected one (its cause is the known one), if any. */
function ledgerCauseOf(gap: GapRecord, ledger: readonly GapRecord[]): GapRecord['cause'] {
  const known = ledger.find((g) => g.stream === gap.stream && (gap.fromId !== null && g.fromId !== null && g.toId !== null && gap.toId !== null
    ? g.fromId <= gap.toId && gap.fromId <= g.toId
    : g.fromUs < gap.toUs && gap.fromUs < g.toUs));
  return known?.cause ?? gap.cause;
}

async function storedPerDay(selection: LakeStreamSelection, tally: QualityTally): Promise<void> {
  const { lake, stream, symbol, market, range } = selection;
  if (!(await lakeTypesIn(lake)).includes(stream.lakeType)) return;
  const rows = await queryLake({
    root: lake, types: [stream.lakeType],
    sql: `SELECT CAST(floor(eventTimeUs / ${US_PER_DAY}) AS BIGINT) AS day, count(*) AS n FROM ${quoteDuckIdentifier(stream.lakeType)}
      WHERE symbol = ${quoteDuckString(symbol)} AND market = ${quoteDuckString(market)} AND eventTimeUs >= ${range.fromUs} AND eventTimeUs < ${range.toUs} GROUP BY day`,
  });
  for (const row of rows) tally.stored(Number(row.day) * US_PER_DAY, Number(row.n));
}

/** Scores one stream in the lake day by day; writes the rows when `write`. */
export async function runQuality(config: ResolvedConfig, nowMs = Date.now()): Promise<QualityRecord[]> {
  const selection = lakeStreamOf(config, 'quality', '--symbol BTCUSDT --type klines:1m --from 2025-07-01');
  const { market, symbol, stream, range, lake } = selection;
  if (stream.kind !== 'kline' && stream.kind !== 'trade' && stream.kind !== 'aggTrade') throw new ConfigError(`lakehouse quality: cannot score ${stream.kind}`);
  const key = stream.interval === undefined ? `binance.${market}.${stream.kind}.${symbol}` : `binance.${market}.kline.${stream.priceKind ?? 'trade'}.${stream.interval}.${symbol}`;
  const tally = new QualityTally({ market, symbol, kind: stream.kind, key, ...(stream.interval === undefined ? {} : { interval: stream.interval }) }, range);
  const ledger = (await lastValueFrom(fromParquetLake({ root: lake, type: 'gaps', kind: 'gap', symbol, market }).pipe(toArray()))).filter((g): g is GapRecord => g.kind === 'gap');
  const expect = stream.interval === undefined ? [] : [{ market, symbol, interval: stream.interval, priceKind: stream.priceKind }];
  const out = await lastValueFrom(fromParquetLake({ root: lake, type: stream.lakeType, kind: stream.kind, symbol, market, range, orderBy: stream.orderBy }).pipe(
    tap((record) => tally.record(record)),
    detectGaps({ range, expect }),
    toArray(),
  ));
  for (const gap of out) if (gap.kind === 'gap') tally.gap({ ...gap, cause: ledgerCauseOf(gap, ledger) });
  await storedPerDay(selection, tally);
  const letters = await lastValueFrom(fromParquetLake({ root: lake, type: 'deadLetters', kind: 'deadLetter', symbol, market, range }).pipe(toArray()));
  for (const letter of letters) tally.deadLetter(letter as DeadLetterRecord);
  const rows = tally.results(nowMs);
  if (config.write === true) await writeRows(config, rows, `quality:${symbol}:${selection.typeText}:${range.fromUs}-${range.toUs}`);
  return rows;
}

/** Writes the rows to every `--sink` (the lake in `--lake`, ClickHouse as backfill connects to it), as one unit. */
async function writeRows(config: ResolvedConfig, rows: QualityRecord[], unitId: string): Promise<void> {
  const { sinks, close, ready } = await buildSinks(config);
  try {
    await ready;
    for (const sink of sinks) await lastValueFrom(of({ kind: 'quality' as const, unitId, records: rows }).pipe(sink, toArray()));
  } finally {
    await close();
  }
}

function line(q: QualityRecord): string {
  const causes = q.missingByCause === '' ? '' : ` (${q.missingByCause})`;
  return `${q.day}  ${q.stream}  completeness ${(q.completeness * 100).toFixed(2)}% (${q.covered}/${q.expected})  gaps ${q.gapCount}${causes}`
    + `  duplicates ${q.duplicates}  dead letters ${q.deadLetters}  late ${q.lateRecords}\n`;
}

export const qualityCommand: Command = {
  name: 'quality',
  usage: `quality --market spot --symbol BTCUSDT --type klines:1m|trades|aggTrades --from YYYY-MM-DD [--to YYYY-MM-DD] [--min-completeness 0.999] [--json]
        [--sink parquet,clickhouse] [--clickhouse-url URL]

Per UTC day: completeness = covered kline windows (or trade / aggTrade ids) / expected, the missing ones by gap
cause (the gap ledger's cause where the lake has one, else the detector's), duplicates dropped, dead letters and
late records of the symbol.
Exit status: 0 every day at or above --min-completeness; ${EXIT_INCOMPLETE} some day below it; 2 invalid options; 1 any other failure.`,
  options: OPTIONS,
  async run(argv, context) {
    const { config } = resolveConfig('quality', OPTIONS, argv, context.env);
    const rows = await runQuality(config);
    const threshold = config.minCompleteness as number;
    const below = rows.filter((q) => q.completeness < threshold);
    if (config.json === true) {
      for (const row of rows) context.stdout.write(JSON.stringify(row) + '\n');
      context.stdout.write(JSON.stringify({ event: 'summary', days: rows.length, belowThreshold: below.map((q) => q.day), minCompleteness: threshold }) + '\n');
    } else {
      for (const row of rows) context.stdout.write(line(row));
      if (below.length > 0) context.stdout.write(`${below.length} day(s) below completeness ${threshold}: ${below.map((q) => q.day).join(', ')}\n`);
    }
    return below.length > 0 ? EXIT_INCOMPLETE : 0;
  },
};
