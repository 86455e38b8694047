/**
 * `lakehouse serve`: the serving layer as a Kafka consumer-group member. Top to bottom:
 * fromKafka (md.* topics, Avro) → per partition batch: validate → split by kind → every sink (ClickHouse
 * serving tables and/or the Parquet lake) → commit the batch's offsets only after every sink acknowledged it.
 * Scale out by running more processes with the same group id; a crash redelivers uncommitted batches, which the
 * sinks absorb idempotently (deterministic unit ids per topic/partition/offset range, ReplacingMergeTree).
 */
import { concatMap, from, lastValueFrom, toArray, type OperatorFunction } from 'rxjs';
import { createKafka } from '../connectors/kafka/config.js';
import { fromKafka, type KafkaBatch } from '../connectors/kafka/from-kafka.js';
import { batchesByKind, type RecordBatch, type WriteAck } from '../connectors/sink.js';
import { validateRecords } from '../operators/validate.js';
import { ConfigError } from '../schemas/errors.js';
import type { AnyRecord } from '../schemas/records.js';
import { SINK_OPTIONS, buildSinks, preparedSinks } from './backfill-sinks.js';
import type { Command } from './command.js';
import { resolveConfig, type OptionSpec, type ResolvedConfig } from './config.js';
import { kafkaConfigOf, registryConfigOf } from './connection-options.js';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'groupId', type: 'string', default: 'lakehouse-serve', doc: 'Kafka consumer group (run more processes with the same id to scale out)' },
  { name: 'topics', type: 'list', placeholder: 'md.binance.spot.trades,…', doc: 'topics to consume (default: every <topic-prefix>md.* topic at start)' },
  { name: 'fromBeginning', type: 'boolean', default: true, doc: 'start at the earliest offset when the group has none' },
  { name: 'validate', type: 'boolean', default: true, doc: 'reject records that fail schema/sanity checks into dead letters' },
  ...SINK_OPTIONS.map((o) => (o.name === 'sink' ? { ...o, choices: ['parquet', 'clickhouse'], doc: 'Sinks (default: clickhouse when configured, plus parquet)' } : o)),
];

/** Counters of a serving run. */
export interface ServeReport { batches: number; records: number; rejected: number; committed: number }

/** Splits one Kafka batch into per-kind record batches with deterministic unit ids. */
export function recordBatchesOf(batch: Pick<KafkaBatch, 'topic' | 'partition' | 'lastOffset'>, records: readonly AnyRecord[]): RecordBatch[] {
  const first = records.length === 0 ? batch.lastOffset : (records[0].ingestId.split('/').pop() ?? batch.lastOffset);
  return batchesByKind(records, (kind) => `${batch.topic}/${batch.partition}/${first}-${batch.lastOffset}#${kind}`);
}

/** Writes one Kafka batch to every sink, then commits it; resolves to the number of rejected records. */
async function serveBatch(batch: KafkaBatch, sinks: readonly OperatorFunction<RecordBatch, WriteAck>[], check: boolean): Promise<number> {
  const records = check ? validateRecords(batch.records) : [...batch.records];
  const batches = recordBatchesOf(batch, records);
  await Promise.all(sinks.map((sink) => lastValueFrom(from(batches).pipe(sink, toArray()))));
  await batch.commit();
  return records.filter((r) => r.kind === 'deadLetter').length - batch.records.filter((r) => r.kind === 'deadLetter').length;
}

async function topicsOf(config: ResolvedConfig, brokers: readonly string[]): Promise<string[]> {
  const listed = config.topics as readonly string[] | undefined;
  if (listed !== undefined && listed.length > 0) return [...listed];
  const admin = createKafka(kafkaConfigOf(config, brokers)).admin();
  await admin.connect();
  try {
    const prefix = `${(config.topicPrefix as string | undefined) ?? ''}md.`;
    return (await admin.listTopics()).filter((t) => t.startsWith(prefix)).sort();
  } finally {
    await admin.disconnect();
  }
}

/** Runs the serving loop until `signal` aborts; resolves to the report. */
export async function runServe(config: ResolvedConfig, signal: AbortSignal, onBatch?: (r: ServeReport) => void): Promise<ServeReport> {
  const brokers = config.kafkaBrokers as readonly string[] | undefined;
  const registry = config.schemaRegistryUrl as string | undefined;
  if (brokers === undefined || brokers.length === 0 || registry === undefined) {
    throw new ConfigError('lakehouse serve needs --kafka-brokers (KAFKA_BROKERS) and --schema-registry-url (SCHEMA_REGISTRY_URL)');
  }
  const topics = await topicsOf(config, brokers);
  if (topics.length === 0) throw new ConfigError('lakehouse serve: no md.* topics exist yet; give --topics or produce data first (lakehouse backfill --sink kafka, lakehouse stream)');
  const explicit = config.sink as readonly string[] | undefined;
  const sinkNames = explicit !== undefined && explicit.length > 0 ? explicit : config.clickhouseUrl === undefined ? ['parquet'] : ['clickhouse', 'parquet'];
  const { sinks, close } = await preparedSinks(await buildSinks({ ...config, sink: sinkNames }));
  const report: ServeReport = { batches: 0, records: 0, rejected: 0, committed: 0 };
  try {
    await new Promise<void>((resolve, reject) => {
      const subscription = fromKafka({ kafka: kafkaConfigOf(config, brokers), registry: registryConfigOf(config, registry), groupId: config.groupId as string, topics, fromBeginning: config.fromBeginning as boolean })
        .pipe(concatMap(async (batch) => {
          report.rejected += await serveBatch(batch, sinks, config.validate as boolean);
          report.batches++; report.records += batch.records.length; report.committed++;
          onBatch?.(report);
        }))
        .subscribe({ error: reject, complete: resolve });
      signal.addEventListener('abort', () => { subscription.unsubscribe(); resolve(); }, { once: true });
    });
  } finally {
    await close();
  }
  return report;
}

export const serveCommand: Command = {
  name: 'serve',
  usage: 'serve [--group-id ID] [--topics T1,T2] [--sink clickhouse,parquet] [--lake DIR|s3://b/p]',
  options: OPTIONS,
  async run(argv, context) {
    const { config } = resolveConfig('serve', OPTIONS, argv, context.env);
    const json = context.stderr.isTTY !== true;
    let last = 0;
    const report = await runServe(config, context.signal, (r) => {
      if (Date.now() - last < 1000) return;
      last = Date.now();
      context.stderr.write(json ? JSON.stringify({ event: 'progress', ...r }) + '\n' : `\rserve: ${r.batches} batches, ${r.records} records, ${r.rejected} rejected`);
    });
    context.stdout.write(JSON.stringify({ event: 'report', ...report }) + '\n');
    return 0;
  },
};
