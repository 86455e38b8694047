/**
 * The sinks of a backfill from resolved options: `--sink parquet,clickhouse,kafka`, or by default ClickHouse
 * and/or Kafka when their endpoints are configured, else the Parquet lake in `--lake` (./lake). Sink modules are
 * imported on demand, so a lake-only run does not load the Kafka and ClickHouse clients (startup, memory).
 */
import type { OperatorFunction } from 'rxjs';
import { isS3Url } from '../connectors/s3/s3-url.js';
import type { RecordBatch, SinkEncoding, WriteAck } from '../connectors/sink.js';
import { tableNameOf } from '../schemas/clickhouse-ddl.js';
import { ConfigError, SinkWriteError } from '../schemas/errors.js';
import { s3ConfigOf } from './archive-source.js';
import { CLICKHOUSE_CLUSTER_OPTIONS, clickhouseClusterOf, migrateSinkTables } from './clickhouse-cluster.js';
import { CLICKHOUSE_DATABASE_OPTION, DEFAULT_CLICKHOUSE_DATABASE, clickhouseDatabaseOf } from './clickhouse-options.js';
import type { OptionSpec, ResolvedConfig } from './config.js';
import { CONNECTION_OPTIONS, clickhouseCaOf, kafkaConfigOf, registryConfigOf } from './connection-options.js';

/** Prefix of the Kafka topics a command writes (and `serve` reads): one cluster, several environments. */
export const TOPIC_PREFIX_OPTION: OptionSpec = {
  name: 'topicPrefix', type: 'string', default: '', placeholder: 'PREFIX',
  doc: 'Prepended to every Kafka topic name (e.g. "staging." gives staging.md.binance.spot.trades)',
};

/** Sink-related options of `lakehouse backfill`. */
export const SINK_OPTIONS: readonly OptionSpec[] = [
  { name: 'sink', type: 'list', doc: 'Sinks (default: clickhouse/kafka when configured, else parquet)', choices: ['parquet', 'clickhouse', 'kafka'], placeholder: 'parquet,clickhouse,kafka' },
  { name: 'lake', type: 'string', doc: 'Parquet lake root: a directory or s3://bucket/prefix', default: './lake', placeholder: 'DIR|s3://b/p', check: 'lake' },
  { name: 'clickhouseUrl', type: 'string', doc: 'ClickHouse server URL', env: ['CLICKHOUSE_URL'], placeholder: 'URL', check: 'url' },
  { name: 'clickhouseUser', type: 'string', doc: 'ClickHouse user', env: ['CLICKHOUSE_USER'] },
  { name: 'clickhousePassword', type: 'string', doc: 'ClickHouse password', env: ['CLICKHOUSE_PASSWORD'], secret: true },
  CLICKHOUSE_DATABASE_OPTION, ...CLICKHOUSE_CLUSTER_OPTIONS,
  { name: 'kafkaBrokers', type: 'list', doc: 'Kafka bootstrap brokers', env: ['KAFKA_BROKERS'], placeholder: 'host:port,…', check: 'hostPort' },
  { name: 'schemaRegistryUrl', type: 'string', doc: 'Confluent-compatible schema registry URL', env: ['SCHEMA_REGISTRY_URL'], placeholder: 'URL', check: 'url' },
  TOPIC_PREFIX_OPTION,
  ...CONNECTION_OPTIONS,
];

/** A failed attempt about to be retried after `delayMs`. */
export interface RetryInfo { readonly attempt: number; readonly delayMs: number; readonly error: unknown }

/** What a command learns of the sinks it builds (pipelines/run-ops.ts): each sink to observe, each retry, the names. */
export interface SinkHooks {
  /** Wraps sink number `index` of the built ones (its `name`), e.g. to measure it. */
  readonly observe?: (name: string, sink: OperatorFunction<RecordBatch, WriteAck>, index: number) => OperatorFunction<RecordBatch, WriteAck>;
  /** Before a sink retries a failed write or preparation. */
  readonly onRetry?: (sink: string, info: RetryInfo) => void;
  /** The names of the sinks built. */
  readonly built?: (names: readonly string[]) => void;
  /** A sink's background work failed (the lake's compaction of directory `where`, which stays due). Default: a JSON line on stderr. */
  readonly onBackgroundError?: (sink: string, where: string, error: unknown) => void;
}

/** Without a run log: one JSON line on stderr per failed background work of a sink (a lake compaction). */
function compactionFailedLine(_sink: string, dir: string, error: unknown): void {
  process.stderr.write(`${JSON.stringify({ event: 'compaction-failed', dir, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) })}\n`);
}

/** The chosen sink names. */
export function sinkNamesOf(config: ResolvedConfig): string[] {
  const explicit = config.sink as readonly string[] | undefined;
  if (explicit !== undefined && explicit.length > 0) return [...new Set(explicit)];
  const names: string[] = [];
  if (typeof config.clickhouseUrl === 'string' && config.clickhouseUrl !== '') names.push('clickhouse');
  if (Array.isArray(config.kafkaBrokers) && config.kafkaBrokers.length > 0) names.push('kafka');
  return names.length > 0 ? names : ['parquet'];
}

/**
 * Builds the sink operators; returns them with a close function and `ready`, the sinks' preparation (the
 * ClickHouse tables' migration), which runs in the background: a backfill fetches and parses its first file
 * meanwhile (a migration is ~15 statements, 0.1 s on a local server), each sink waits for its own part before
 * its first write, and the caller awaits `ready` to fail the run early and clearly when it rejects.
 */
export async function buildSinks(config: ResolvedConfig, hooks: SinkHooks = {}): Promise<{
  names: string[]; sinks: OperatorFunction<RecordBatch, WriteAck>[]; close: () => Promise<void>;
  /** Resolves once every sink is prepared; rejects with the first preparation's failure. */
  ready: Promise<void>;
  /**
   * The only sink's encoding, when it offers one (batches encoded as they are parsed): a ClickHouse server
   * (RowBinary), the Parquet lake (its column buffers).
   */
  earlyEncoding?: SinkEncoding;
  /** Every sink stages (connectors/sink.ts `Stage`): ClickHouse and the lake, alone or together. Files then load whole or not at all, inflated once. */
  staged: boolean;
}> {
  const names = sinkNamesOf(config);
  const sinks: OperatorFunction<RecordBatch, WriteAck>[] = [];
  const closers: (() => Promise<void>)[] = [];
  const preparations: Promise<unknown>[] = [];
  // What each sink offers besides writing: an early encoding, staging (a file made visible whole, at its commit).
  const offers: { encoding?: SinkEncoding; stages: boolean }[] = [];
  const retryOf = (sink: string): { retry?: { onRetry: (info: RetryInfo) => void } } =>
    (hooks.onRetry === undefined ? {} : { retry: { onRetry: (info) => hooks.onRetry?.(sink, info) } });
  for (const name of names) {
    if (name === 'parquet') {
      const root = config.lake as string;
      const { toParquetLake } = await import('../connectors/parquet/to-parquet-lake.js');
      const s3 = isS3Url(root) ? { s3: s3ConfigOf(config) } : {};
      // `serve --compact-lake`: day partitions kept at one row per key (connectors/parquet/lake-compactor.ts).
      const compactor = config.compactLake === true ? (await import('../connectors/parquet/lake-compactor.js')).startLakeCompactor({
        root, ...s3, onError: (error, dir) => (hooks.onBackgroundError ?? compactionFailedLine)('parquet', dir, error),
      }) : undefined;
      offers.push({ encoding: (await import('../connectors/parquet/parquet-columns-encoding.js')).parquetColumnsEncoding, stages: true });
      sinks.push(toParquetLake({ root, ...s3, ...(compactor === undefined ? {} : { onWritten: (dir: string) => compactor.written(dir) }), ...retryOf('parquet') }));
      if (compactor !== undefined) closers.push(() => compactor.close());
    } else if (name === 'clickhouse') {
      const url = config.clickhouseUrl as string | undefined;
      if (url === undefined) throw new ConfigError('--sink clickhouse needs --clickhouse-url or CLICKHOUSE_URL');
      const { classifyInsertError, createClickHouseClient, isEmbeddedClient, migrate, probeCapabilities, rowBinaryEncoding, toClickHouse } = await import('../connectors/clickhouse/index.js');
      const cluster = clickhouseClusterOf(config);
      const caCert = clickhouseCaOf(config);
      const connect = (server: string): ReturnType<typeof createClickHouseClient> => createClickHouseClient({
        url: server, ...(config.clickhouseUser === undefined ? {} : { username: config.clickhouseUser as string }),
        ...(config.clickhousePassword === undefined ? {} : { password: config.clickhousePassword as string }), ...(caCert === undefined ? {} : { caCert }),
      });
      const client = await connect(url);
      const database = clickhouseDatabaseOf(config) ?? DEFAULT_CLICKHOUSE_DATABASE;
      const migrated = migrateSinkTables(client, url, { database, connect, migrate, probe: probeCapabilities, ...(cluster === undefined ? {} : { cluster }) }).catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        // Retriable as an insert failing the same way: a server not reachable yet (serve tries again), not refused credentials.
        const { retriable } = classifyInsertError(error, database);
        throw new SinkWriteError(`ClickHouse at ${url}: creating the tables of database ${database} failed: ${message.split('\n')[0]}`, { service: 'clickhouse' }, { retriable, cause: error });
      });
      // Observed now: it may fail while a later sink is still being built (an import), before `ready` takes it over.
      migrated.catch(() => undefined);
      preparations.push(migrated);
      sinks.push(toClickHouse({ client, database, ready: migrated, ...(cluster === undefined ? {} : { tableOf: (kind) => `${tableNameOf(kind)}_local` }), ...retryOf('clickhouse') }));
      closers.push(async () => { await migrated.catch(() => undefined); await client.close(); });
      offers.push({ ...(isEmbeddedClient(client) ? {} : { encoding: rowBinaryEncoding }), stages: true }); // embedded chdb reads bodies as text
    } else {
      const brokers = config.kafkaBrokers as readonly string[] | undefined;
      const registry = config.schemaRegistryUrl as string | undefined;
      if (brokers === undefined || brokers.length === 0 || registry === undefined) {
        throw new ConfigError('--sink kafka needs --kafka-brokers (KAFKA_BROKERS) and --schema-registry-url (SCHEMA_REGISTRY_URL)');
      }
      // On its own thread: Avro + kafkajs cost more CPU per record than parsing it (see to-kafka-worker.ts).
      const { toKafkaInWorker } = await import('../connectors/kafka/to-kafka-worker.js');
      offers.push({ stages: false }); // Kafka cannot take records back
      sinks.push(toKafkaInWorker({ kafka: kafkaConfigOf(config, brokers), registry: registryConfigOf(config, registry), topicPrefix: (config.topicPrefix as string | undefined) ?? '' }));
    }
  }
  hooks.built?.(names);
  if (hooks.observe !== undefined) sinks.splice(0, sinks.length, ...sinks.map((sink, index) => hooks.observe!(names[index], sink, index)));
  const close = async (): Promise<void> => { for (const closer of closers) await closer(); };
  // Files are staged when every sink stages (else each file is checked before its first batch).
  const staged = offers.every((offer) => offer.stages);
  const ready = Promise.all(preparations).then(() => undefined);
  ready.catch(() => undefined); // observed by the caller; the sinks wait for their own part of it
  const earlyEncoding = offers.length === 1 ? offers[0].encoding : undefined; // encoded rows are for one sink only
  return earlyEncoding === undefined ? { names, sinks, close, ready, staged } : { names, sinks, close, ready, staged, earlyEncoding };
}

/** The built sinks once `ready` resolved: for commands that write from their first second (live, serve), with nothing to overlap the preparation with; closed when it failed. */
export async function preparedSinks<T extends { ready: Promise<void>; close: () => Promise<void> }>(built: T): Promise<T> {
  try {
    await built.ready;
  } catch (error) {
    await built.close();
    throw error;
  }
  return built;
}
