/**
 * `lakehouse gaps`: the gap ledger of one stream in the lake, and optionally its repair. Top to bottom:
 * fromParquetLake (the stream's records in the requested days, ordered) → detectGaps (leading, interior and
 * trailing holes against the range; id holes) → fillGaps (rest: authentic REST data through the shared weight
 * limiter; flat: synthetic bars at the previous close; none: report) → the ledger and the fills back into the lake.
 */
import { filter, from, lastValueFrom, of, tap, toArray } from 'rxjs';
import { fetchGapRecords } from '../connectors/binance-live/fetch-gap.js';
import { BinanceRest } from '../connectors/binance-live/rest-client.js';
import { fromParquetLake } from '../connectors/parquet/from-parquet-lake.js';
import { toParquetLake } from '../connectors/parquet/to-parquet-lake.js';
import { batchesByKind } from '../connectors/sink.js';
import { detectGaps } from '../operators/detect-gaps.js';
import { GAP_FILL_POLICIES, fillGaps, type GapFillPolicy } from '../operators/fill-gaps.js';
import { ConfigError } from '../schemas/errors.js';
import type { AnyRecord, GapRecord } from '../schemas/records.js';
import { formatIsoUs } from '../schemas/time.js';
import type { Command } from './command.js';
import { resolveConfig, type OptionSpec, type ResolvedConfig } from './config.js';
import { LAKE_STREAM_OPTIONS, lakeStreamOf } from './lake-stream.js';

const OPTIONS: readonly OptionSpec[] = [
  ...LAKE_STREAM_OPTIONS,
  { name: 'fill', type: 'string', choices: GAP_FILL_POLICIES, default: 'none', doc: 'rest = authentic REST data, flat = synthetic bars, none = report only' },
  { name: 'restUrl', type: 'string', placeholder: 'URL', check: 'url', doc: 'Binance-compatible REST base for --fill rest (default: the production host of the market)' },
  { name: 'write', type: 'boolean', default: true, doc: 'write the gap ledger and the fills into the lake (--no-write: report only)' },
  { name: 'json', type: 'boolean', default: false, doc: 'print JSON lines (one per gap, then a summary)' },
];

/** Exit status while gaps remain unfilled (reported, or a fill that could not close them); 0 when none remain. */
export const EXIT_UNFILLED_GAPS = 4;

/** The result of a gaps run. */
export interface GapsResult { gaps: GapRecord[]; fills: AnyRecord[]; scanned: number }

/** Detects (and fills) the gaps of one stream in the lake; writes ledger and fills when `write`. */
export async function runGaps(config: ResolvedConfig, signal: AbortSignal): Promise<GapsResult> {
  const { market, symbol, typeText, stream, range, lake } = lakeStreamOf(config, 'gaps', '--symbol BTCUSDT --type klines:1m --from 2025-07-01');
  const policy = config.fill as GapFillPolicy;
  if (policy === 'rest' && market === 'option') throw new ConfigError('lakehouse gaps: --fill rest is not available for options');
  const rest = policy === 'rest' ? new BinanceRest({ market: market as 'spot' | 'um' | 'cm', ...(config.restUrl === undefined ? {} : { baseUrl: config.restUrl as string }) }) : undefined;
  const inputs = new WeakSet<AnyRecord>();
  let scanned = 0;
  const expect = stream.interval === undefined ? [] : [{ market, symbol, interval: stream.interval, priceKind: stream.priceKind }];
  const out = await lastValueFrom(fromParquetLake({ root: lake, type: stream.lakeType, kind: stream.kind, symbol, market, range, orderBy: stream.orderBy }).pipe(
    tap((record) => { inputs.add(record); scanned++; }),
    detectGaps({ range, expect }),
    fillGaps({ policy, ...(rest === undefined ? {} : { fetch: (gap: GapRecord) => from(fetchGapRecords(rest, gap, signal)) }) }),
    filter((record) => !inputs.has(record)),
    toArray(),
  ));
  const gaps = latestGapStates(out.filter((r): r is GapRecord => r.kind === 'gap'));
  const fills = out.filter((r) => r.kind !== 'gap');
  if (config.write === true && (gaps.length > 0 || fills.length > 0)) await writeBack(lake, symbol, typeText, range, gaps, fills);
  return { gaps, fills, scanned };
}

/** One ledger row per gap: its last (highest-version) state. */
function latestGapStates(gaps: readonly GapRecord[]): GapRecord[] {
  const byKey = new Map<string, GapRecord>();
  for (const gap of gaps) {
    const key = `${gap.stream}|${gap.fromUs}|${gap.toUs}`;
    const seen = byKey.get(key);
    if (seen === undefined || gap.version >= seen.version) byKey.set(key, gap);
  }
  return [...byKey.values()].sort((a, b) => a.fromUs - b.fromUs);
}

async function writeBack(root: string, symbol: string, type: string, range: { fromUs: number; toUs: number }, gaps: GapRecord[], fills: AnyRecord[]): Promise<void> {
  const unit = `gaps:${symbol}:${type}:${range.fromUs}-${range.toUs}`;
  const all = [{ kind: 'gap' as const, unitId: `${unit}#ledger`, records: gaps }, ...batchesByKind(fills, (kind) => `${unit}#fill-${kind}`)];
  await lastValueFrom(of(...all.filter((b) => b.records.length > 0)).pipe(toParquetLake({ root }), toArray()));
}

export const gapsCommand: Command = {
  name: 'gaps',
  usage: `gaps --market spot --symbol BTCUSDT --type klines:1m --from YYYY-MM-DD [--to YYYY-MM-DD] [--fill rest|flat|none] [--json]

Exit status: 0 no unfilled gap in the range; ${EXIT_UNFILLED_GAPS} unfilled gaps remain (reported, or not closed by the fill);
2 invalid options; 1 any other failure.`,
  options: OPTIONS,
  async run(argv, context) {
    const { config } = resolveConfig('gaps', OPTIONS, argv, context.env);
    const { gaps, fills, scanned } = await runGaps(config, context.signal);
    const open = gaps.filter((g) => g.state !== 'filled').length;
    if (config.json === true) {
      for (const gap of gaps) context.stdout.write(JSON.stringify(gap) + '\n');
      context.stdout.write(JSON.stringify({ event: 'summary', scanned, gaps: gaps.length, unfilled: open, filledRecords: fills.length }) + '\n');
    } else {
      for (const g of gaps) {
        const ids = g.fromId === null ? '' : ` ids ${g.fromId}..${g.toId}`;
        context.stdout.write(`${formatIsoUs(g.fromUs)} → ${formatIsoUs(g.toUs)}${ids}  ${g.cause}  ${g.state}  filled ${g.filledCount}${g.detail === null ? '' : `  (${g.detail})`}\n`);
      }
      context.stdout.write(`${scanned} records scanned, ${gaps.length} gaps, ${open} not filled, ${fills.length} records filled\n`);
    }
    return open > 0 ? EXIT_UNFILLED_GAPS : 0;
  },
};
