/**
 * `lakehouse compact`: day partitions of the Parquet lake (a directory or `s3://`) rewritten to one row per
 * identity key, the highest version — for lakes written by `backfill`, `stream`, `replay`, `gaps` or `resample`,
 * whose repeated runs and layers (an archive row beside its live copy) leave several copies of a key
 * (`serve` keeps its own partitions compacted). First the partitions a killed compaction or serving process
 * left marked, then the selection. Safe beside running writers and other compactors (see
 * connectors/parquet/compact-lake-dir.ts); a second run rewrites nothing. SIGINT/SIGTERM stop between
 * partitions, or abandon the current one where it stands (the next run finishes it): status 130.
 */
import { compactLake } from '../connectors/parquet/compact-lake.js';
import { isS3Url } from '../connectors/s3/s3-url.js';
import { ConfigError } from '../schemas/errors.js';
import { MARKETS } from '../schemas/ids.js';
import { parseUtcDayUs } from '../schemas/time.js';
import { ARCHIVE_OPTIONS } from './archive-options.js';
import { s3ConfigOf } from './archive-source.js';
import type { Command } from './command.js';
import { resolveConfig, type OptionSpec } from './config.js';
import { startProgress } from './progress.js';
import { resolveDay } from './relative-day.js';

const S3_OPTIONS = ['s3Endpoint', 's3Region', 'awsAccessKeyId', 'awsSecretAccessKey'];

const OPTIONS: readonly OptionSpec[] = [
  { name: 'lake', type: 'string', default: './lake', placeholder: 'DIR|s3://b/p', check: 'lake', doc: 'Parquet lake root' },
  { name: 'markets', type: 'list', choices: MARKETS, placeholder: 'spot,um,cm,option', doc: 'only these markets (default: all)' },
  { name: 'symbols', type: 'list', placeholder: 'BTCUSDT,ETHUSDT', doc: 'only these symbols (default: all)' },
  { name: 'types', type: 'list', placeholder: 'trades,klines_1m', doc: 'only these lake types; a kline type without interval (klines, markPriceKlines, …) means every interval (default: all)' },
  { name: 'from', type: 'string', placeholder: 'DAY', doc: 'first UTC day, inclusive: YYYY-MM-DD, today, yesterday, -Nd or -Nw (default: the first in the lake)' },
  { name: 'to', type: 'string', placeholder: 'DAY', doc: 'last UTC day, inclusive, as --from (default: the last in the lake)' },
  { name: 'partRows', type: 'number', default: 1_000_000, integer: true, min: 1_000, max: 100_000_000, placeholder: 'N', doc: 'rows per compacted part (memory: one part\'s columns)' },
  { name: 'json', type: 'boolean', default: false, doc: 'print the report as one JSON line' },
  ...ARCHIVE_OPTIONS.filter((o) => S3_OPTIONS.includes(o.name)),
];

export const compactCommand: Command = {
  name: 'compact',
  usage: 'compact [--lake DIR|s3://b/p] [--markets spot] [--symbols BTCUSDT] [--types trades,klines] [--from DAY] [--to DAY] [--json]',
  options: OPTIONS,
  async run(argv, context) {
    const { config } = resolveConfig('compact', OPTIONS, argv, context.env);
    const now = Date.now();
    const day = (name: string): string | undefined => {
      if (config[name] === undefined) return undefined;
      const resolved = resolveDay(config[name] as string, now);
      try {
        parseUtcDayUs(resolved);
      } catch {
        throw new ConfigError(`lakehouse compact: --${name} expects a UTC day (YYYY-MM-DD, today, yesterday, -Nd or -Nw), got ${JSON.stringify(config[name])}`);
      }
      return resolved;
    };
    if ((day('from') ?? '') > (day('to') ?? '\uffff')) throw new ConfigError('lakehouse compact: --to is before --from');
    const lake = config.lake as string;
    let progress: ReturnType<typeof startProgress> | undefined;
    const report = await compactLake({
      root: lake, ...(isS3Url(lake) ? { s3: s3ConfigOf(config) } : {}), signal: context.signal, partRows: config.partRows as number,
      ...(config.markets === undefined ? {} : { markets: config.markets as string[] }),
      ...(config.symbols === undefined ? {} : { symbols: config.symbols as string[] }),
      ...(config.types === undefined ? {} : { types: config.types as string[] }),
      ...(day('from') === undefined ? {} : { fromDay: day('from') }), ...(day('to') === undefined ? {} : { toDay: day('to') }),
      onPlan: (dirs) => { progress = startProgress(context.stderr, { files: dirs.length, bytes: null }); },
      onDir: (result) => { progress?.file(); progress?.rows(result.rowsIn); },
    }).finally(() => progress?.stop());
    const stopped = context.signal.aborted;
    if (config.json === true) {
      context.stdout.write(JSON.stringify({ ...report, stopped }) + '\n');
    } else {
      context.stdout.write(`${report.dirs} day partitions looked at (${report.recovered} left marked by a killed run), ${report.compacted} rewritten: `
        + `${report.rowsIn} rows read, ${report.rowsOut} kept (one per key)${report.kept > 0 ? `, ${report.kept} parts replaced meanwhile left for the next run` : ''}${stopped ? '; stopped early' : ''}\n`);
    }
    return stopped ? 130 : 0;
  },
};
