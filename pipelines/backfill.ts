/**
 * `lakehouse backfill`: load data.binance.vision archives (or a mirror, a directory, an s3:// bucket) into
 * the sinks. Plan → listing → fetch + verify → parse → validate → sinks → manifest; progress log lines on
 * stderr every `--progress-interval`, metrics on `--metrics-port` (pipelines/run-ops.ts); a final report
 * (human, or `--json` on stdout). Exit status: see pipelines/backfill-report.ts.
 */
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ResolvedPlan } from '../connectors/binance-archive/availability.js';
import { openManifest } from '../connectors/binance-archive/manifest.js';
import { DEFAULT_MAX_DEAD_LETTERS, DEFAULT_MAX_LINE_BYTES } from '../connectors/binance-archive/parse-archive-file.js';
import { createS3Client } from '../connectors/s3/config.js';
import { isS3Url } from '../connectors/s3/s3-url.js';
import { ConfigError } from '../schemas/errors.js';
import type { Command, CommandContext } from './command.js';
import { resolveConfig, type OptionSpec, type ResolvedConfig } from './config.js';
import { ARCHIVE_OPTIONS } from './archive-options.js';
import { s3ConfigOf } from './archive-source.js';
import { listBackfillPlan } from './backfill-plan.js';
import { formatReport, groupedLines } from './backfill-report.js';
import { runBackfill } from './backfill-run.js';
import type { SinkEncoding } from '../connectors/sink.js';
import { SINK_OPTIONS, buildSinks, sinkNamesOf } from './backfill-sinks.js';
import { backfillPreflight } from './backfill-preflight.js';
import { QUEUE_OPTIONS } from './backfill-queue.js';
import { OPS_OPTIONS } from './ops-options.js';
import { MAX_TIMER_MS } from './option-checks.js';
import { startProgress } from './progress.js';
import { startRunOps } from './run-ops.js';
import { sinceLastConfig } from './since-last.js';

/** Default records per batch: one batch is one Parquet part of the lake. */
export const LAKE_BATCH_ROWS = 20_000;

/**
 * Default records per batch when ClickHouse is a sink and the lake is not: fewer, larger inserts, so fewer
 * parts for the server to write and merge (2 M trades: 20 parts instead of 100, 4.6 s instead of 5.1 s median
 * of 6 runs on 2 cores). A server as the only sink takes them encoded as they are parsed (pipelines/
 * early-encoding.ts), so a batch holds ~15 MB of RowBinary, not 100,000 records (peak RSS ~240 MB). With the
 * lake, parts stay lake-sized (100,000-row batches there took no less time and 250 MB more RSS).
 */
export const CLICKHOUSE_BATCH_ROWS = 100_000;

/**
 * Default rows per batch when a ClickHouse server is the only sink (batches encoded as parsed, RowBinary,
 * the file staged: no reader sees a batch before the file's commit, so batch size is not latency): each
 * batch is one insert, one part, and every part the staging table gets is merged there while the file still
 * loads, on the same cores as the parse. 2 M trades, 2 cores, 4-5 runs each: 100,000 rows 1.91 s and 1.37 s
 * of server CPU, 300,000 1.76 s / 1.13 s, 400,000 1.79 s / 0.98 s, 500,000 1.80 s / 0.96 s, 1,000,000 1.92 s
 * (the last insert is the tail the parse cannot hide).
 */
export const ENCODED_CLICKHOUSE_BATCH_ROWS = 400_000;

const OPTIONS: readonly OptionSpec[] = [
  ...ARCHIVE_OPTIONS, ...SINK_OPTIONS, ...QUEUE_OPTIONS,
  { name: 'plan', type: 'boolean', doc: 'List the files and bytes that would be loaded and what the run would fail on (exit 1 then), fetch nothing', default: false },
  { name: 'sinceLast', type: 'boolean', doc: 'From the day after the last day loaded in the manifest (every symbol) to --to (default yesterday); --from only when nothing is loaded yet', default: false },
  { name: 'json', type: 'boolean', doc: 'Print the plan/report as JSON on stdout', default: false },
  { name: 'validate', type: 'boolean', doc: 'Run the validate operator (--no-validate skips it)', default: true },
  { name: 'manifest', type: 'string', doc: 'Resume manifest (default <lake>/_manifest/backfill-<sinks>.jsonl, or ./.lakehouse/backfill-<sinks>.jsonl without a local lake); an existing file that is not a manifest is refused', placeholder: 'FILE', check: 'manifest' },
  { name: 'maxLineBytes', type: 'number', doc: 'A file with a longer CSV line fails as corrupt, none of it loaded', default: DEFAULT_MAX_LINE_BYTES, placeholder: 'BYTES', integer: true, min: 1024, max: 2 ** 30 },
  { name: 'maxDeadLetters', type: 'number', doc: 'A file with more rejected rows fails as corrupt, none of it loaded', default: DEFAULT_MAX_DEAD_LETTERS, placeholder: 'ROWS', integer: true, min: 0 },
  { name: 'batchRows', type: 'number', doc: `Records per batch and Parquet part (memory grows with it); default ${LAKE_BATCH_ROWS}, ${CLICKHOUSE_BATCH_ROWS} when ClickHouse is a sink and the lake is not, ${ENCODED_CLICKHOUSE_BATCH_ROWS} when a ClickHouse server is the only sink`, placeholder: 'NUMBER', integer: true, min: 1 },
  ...OPS_OPTIONS,
];

/** Records per batch: `--batch-rows`, else by sink (see {@link CLICKHOUSE_BATCH_ROWS}, {@link ENCODED_CLICKHOUSE_BATCH_ROWS}). */
export function batchRowsFor(explicit: number | undefined, sinkNames: readonly string[], earlyEncoding?: SinkEncoding): number {
  if (explicit !== undefined) return explicit;
  if (earlyEncoding?.format === 'RowBinary') return ENCODED_CLICKHOUSE_BATCH_ROWS;
  return sinkNames.includes('clickhouse') && !sinkNames.includes('parquet') ? CLICKHOUSE_BATCH_ROWS : LAKE_BATCH_ROWS;
}

/** One manifest per lake and sink set: files loaded into ClickHouse only must not be skipped for the lake. */
function manifestPathOf(config: ResolvedConfig, sinkNames: readonly string[]): string {
  if (typeof config.manifest === 'string') return config.manifest;
  const name = `backfill-${[...sinkNames].sort().join('-')}.jsonl`;
  const lake = config.lake as string;
  return sinkNames.includes('parquet') && !isS3Url(lake) ? join(lake, '_manifest', name) : join('.lakehouse', name);
}

/** Prints the plan and what the run would fail on; returns the exit status the plan predicts (1 when it would fail). */
function printPlan(plan: ResolvedPlan, context: CommandContext, json: boolean, wouldFail: readonly string[]): number {
  const bytes = plan.files.reduce((sum, f) => sum + (f.size ?? 0), 0);
  const unknown = plan.files.some((f) => f.size === null);
  const status = wouldFail.length > 0 ? 1 : 0;
  if (json) {
    context.stdout.write(JSON.stringify({ files: plan.files.map((f) => ({ key: f.key, size: f.size })), missing: plan.missing.map((m) => ({ key: m.file.key, reason: m.reason })), totalBytes: unknown ? null : bytes, wouldFail }) + '\n');
    return status;
  }
  for (const f of plan.files) context.stdout.write(`${String(f.size ?? '?').padStart(12)}  ${f.key}\n`);
  for (const line of groupedLines('missing'.padStart(12), plan.missing.map((m) => ({ key: m.file.key, reason: m.reason })))) context.stdout.write(`${line}\n`);
  context.stdout.write(`${plan.files.length} files, ${unknown ? 'size unknown without a listing' : `${(bytes / 1e6).toFixed(1)} MB`}; ${plan.missing.length} missing upstream\n`);
  for (const line of wouldFail) context.stdout.write(`WOULD FAIL  ${line}\n`);
  return status;
}

async function run(argv: readonly string[], context: CommandContext): Promise<number> {
  const { config: given } = resolveConfig('backfill', OPTIONS, argv, context.env);
  if (given.enqueue === true && given.worker === true) throw new ConfigError('backfill: --enqueue publishes the work and --worker loads it; give one of them');
  if (given.worker === true) return (await import('./backfill-worker.js')).runBackfillWorker(given, context, batchRowsFor);
  if (given.enqueue === true && given.plan !== true) return (await import('./backfill-enqueue.js')).runBackfillEnqueue(given, context);
  const config = given.sinceLast === true ? await sinceLastConfig(given, manifestPathOf(given, sinkNamesOf(given))) : given;
  if (config === undefined) {
    context.stderr.write('lakehouse backfill: --since-last: every day up to --to is already loaded; nothing to do\n');
    return 0;
  }
  // Bounded by their option specs (checked once in resolveConfig).
  const limits = { maxLineBytes: config.maxLineBytes as number, maxDeadLetters: config.maxDeadLetters as number };
  const listed = await listBackfillPlan(config, context.signal);
  if (listed === undefined) {
    context.stderr.write('lakehouse backfill: interrupted while listing the archive; nothing was loaded\n');
    return 130;
  }
  const { plan, source } = listed;
  if (config.plan === true) return printPlan(plan, context, config.json === true, backfillPreflight(config, plan));
  const ops = await startRunOps('backfill', config, context);
  const { names, sinks, close, ready, earlyEncoding, staged } = await buildSinks(config, ops.sinkHooks).catch(async (error: unknown) => { await ops.close(); throw error; });
  const lake = config.lake as string;
  const s3Client = names.includes('parquet') && isS3Url(lake) ? createS3Client(s3ConfigOf(config)) : undefined;
  const lakeTarget = names.includes('parquet') ? { root: lake, ...(s3Client === undefined ? {} : { s3Client }) } : undefined;
  const manifestPath = manifestPathOf(config, names);
  const manifest = await openManifest(manifestPath);
  const bytes = plan.files.some((f) => f.size === null) ? null : plan.files.reduce((s, f) => s + (f.size ?? 0), 0);
  const spoolDir = join(tmpdir(), `lakehouse-spool-${process.pid}`);
  const totals = { files: plan.files.length, bytes };
  const progress = ops.metrics.observeProgress(ops.progressMs === undefined ? startProgress({ write: () => true } as unknown as NodeJS.WritableStream, totals, MAX_TIMER_MS) : startProgress(ops.progress, totals, ops.progressMs), totals);
  try {
    const report = await runBackfill({
      plan, source, sinks, manifest, concurrency: config.concurrency as number, verify: config.verify !== false,
      validate: config.validate !== false, lake: lakeTarget, batchRows: batchRowsFor(config.batchRows as number | undefined, names, earlyEncoding), progress, signal: context.signal,
      spoolDir, quarantineDir: join(dirname(manifestPath), 'quarantine'), staged, ready, ...limits, ...(earlyEncoding === undefined ? {} : { earlyEncoding }),
    });
    if (context.signal.aborted) report.exitCode = 130;
    context.stdout.write(config.json === true ? JSON.stringify(report) + '\n' : formatReport(report) + '\n');
    return report.exitCode;
  } finally {
    await close();
    s3Client?.destroy();
    await rm(spoolDir, { recursive: true, force: true });
    await ops.close();
  }
}

/** The `backfill` command. */
export const backfillCommand: Command = {
  name: 'backfill',
  usage: 'backfill --market spot --symbols BTCUSDT --types klines:1m,trades --from 2025-07-01 [--to 2025-07-03] [--archive URL|DIR|s3://b/p] [--sink parquet,clickhouse,kafka] [--lake DIR|s3://b/p] [--plan] [--json] [--metrics-port PORT]\n'
    + '       backfill --enqueue --kafka-brokers H:P <the same request and sink options>   (publish the files for workers)\n'
    + '       backfill --worker --kafka-brokers H:P <the same sink options> [--group-id G] [--exit-when-drained]',
  options: OPTIONS,
  run,
};
