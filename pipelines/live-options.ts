/**
 * Options shared by `lakehouse stream` and `lakehouse replay` (into sinks): where the records go and how
 * they are batched. Default sink: Kafka when brokers are configured (KAFKA_BROKERS), else the Parquet lake
 * (embedded mode, ./lake). `--sink` chooses explicitly (parquet, clickhouse, kafka).
 */
import { ARCHIVE_OPTIONS } from './archive-options.js';
import { SINK_OPTIONS, buildSinks, preparedSinks, type SinkHooks } from './backfill-sinks.js';
import type { OptionSpec, ResolvedConfig } from './config.js';
import { MAX_TIMER_MS } from './option-checks.js';

const S3_NAMES = new Set(['s3Endpoint', 's3Region', 'awsAccessKeyId', 'awsSecretAccessKey']);

/** Sink, S3 and batching options of the live commands. */
export const LIVE_SINK_OPTIONS: readonly OptionSpec[] = [
  ...SINK_OPTIONS.map((spec) => (spec.name === 'sink' ? { ...spec, doc: 'Sinks (default: kafka when configured, else parquet)' } : spec)),
  ...ARCHIVE_OPTIONS.filter((spec) => S3_NAMES.has(spec.name)),
  { name: 'batchMs', type: 'number', doc: 'Longest a record waits for its sink batch, ms', default: 1000, integer: true, min: 1, max: MAX_TIMER_MS },
  { name: 'batchRows', type: 'number', doc: 'Records per batch window at most', default: 10000, integer: true, min: 1 },
  { name: 'maxBacklog', type: 'number', doc: 'Records received but not yet written by every sink, at most: beyond it the WebSocket reads pause (TCP holds the server back) until half are written (raw client; ccxt sockets cannot pause)', default: 500000, integer: true, min: 1 },
  { name: 'json', type: 'boolean', doc: 'Print the final report as JSON on stdout', default: false },
];

/** The sinks of a live command: explicit `--sink`, else Kafka when configured, else the Parquet lake (`hooks`: see {@link SinkHooks}). */
export async function buildLiveSinks(config: ResolvedConfig, hooks: SinkHooks = {}): Promise<Awaited<ReturnType<typeof buildSinks>>> {
  const explicit = config.sink as readonly string[] | undefined;
  const kafka = Array.isArray(config.kafkaBrokers) && config.kafkaBrokers.length > 0;
  const sink = explicit !== undefined && explicit.length > 0 ? explicit : [kafka ? 'kafka' : 'parquet'];
  return preparedSinks(await buildSinks({ ...config, sink }, hooks));
}

