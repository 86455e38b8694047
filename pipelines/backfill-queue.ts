/**
 * Distributed backfill, what `--enqueue` and `--worker` share: their options, the work message (one archive
 * file and the settings its load takes from the enqueuing command), and the manifest scope — the sinks and
 * their targets — under which both find the files already loaded in the manifest topic.
 */
import { resolve } from 'node:path';
import type { PlannedFile } from '../connectors/binance-archive/availability.js';
import type { KafkaConfig } from '../connectors/kafka/config.js';
import { isS3Url } from '../connectors/s3/s3-url.js';
import { ConfigError } from '../schemas/errors.js';
import type { OptionSpec, ResolvedConfig } from './config.js';
import { kafkaConfigOf } from './connection-options.js';

/** The options of distributed backfill (added to `lakehouse backfill`'s). */
export const QUEUE_OPTIONS: readonly OptionSpec[] = [
  { name: 'enqueue', type: 'boolean', default: false, doc: 'Publish the plan to --work-topic (one message per file) for --worker processes, and load nothing' },
  { name: 'worker', type: 'boolean', default: false, doc: 'Load the files published to --work-topic, one at a time, as a member of --group-id, committing each once its sinks acknowledged it; runs until SIGTERM (or --exit-when-drained)' },
  { name: 'workTopic', type: 'string', default: 'lakehouse.backfill.work', placeholder: 'TOPIC', doc: 'Kafka topic of the distributed backfill\'s files (after --topic-prefix)' },
  { name: 'workPartitions', type: 'number', default: 12, integer: true, min: 1, max: 10_000, placeholder: 'N', doc: 'Partitions of --work-topic when --enqueue creates it: at most this many workers share the work' },
  { name: 'groupId', type: 'string', default: 'lakehouse-backfill', placeholder: 'GROUP', doc: 'Consumer group of the --worker processes of one job' },
  { name: 'manifestTopic', type: 'string', default: 'lakehouse.backfill.manifest', placeholder: 'TOPIC', doc: 'Compacted Kafka topic holding the manifest of --enqueue/--worker runs (after --topic-prefix)' },
  { name: 'exitWhenDrained', type: 'boolean', default: false, doc: 'With --worker: exit once the group has processed every file published to --work-topic' },
  { name: 'sessionTimeoutMs', type: 'number', default: 30_000, integer: true, min: 6000, max: 300_000, placeholder: 'MS', doc: 'With --worker: a worker silent this long is dead, and its files go to the others' },
];

/** The Kafka connection of a distributed backfill (brokers required). */
export function queueKafkaOf(config: ResolvedConfig, flag: string): KafkaConfig {
  const brokers = config.kafkaBrokers as readonly string[] | undefined;
  if (brokers === undefined || brokers.length === 0) throw new ConfigError(`backfill ${flag} needs --kafka-brokers (KAFKA_BROKERS): the work and manifest topics are on Kafka`);
  return kafkaConfigOf(config, brokers);
}

/**
 * The sinks of a distributed backfill: `--sink` is required (by default a command writes to Kafka whenever
 * brokers are configured, and here the brokers are there for the work queue).
 */
export function queueSinksOf(config: ResolvedConfig, flag: string): readonly string[] {
  const sinks = config.sink as readonly string[] | undefined;
  if (sinks === undefined || sinks.length === 0) throw new ConfigError(`backfill ${flag} needs --sink (e.g. --sink clickhouse,parquet): its Kafka brokers carry the work queue, not data, unless --sink says so`);
  return [...new Set(sinks)];
}

/** A topic option's name under `--topic-prefix`. */
export function queueTopicOf(config: ResolvedConfig, option: 'workTopic' | 'manifestTopic'): string {
  return `${(config.topicPrefix as string | undefined) ?? ''}${config[option] as string}`;
}

/**
 * The manifest scope: the sorted sinks with their targets (the lake's root, the ClickHouse database, the
 * Kafka topic prefix). Not the ClickHouse URL: workers of one cluster may write through different nodes.
 */
export function manifestScopeOf(config: ResolvedConfig, sinkNames: readonly string[]): string {
  return [...sinkNames].sort().map((name) => {
    if (name === 'parquet') {
      const lake = config.lake as string;
      return `parquet=${isS3Url(lake) ? lake : resolve(lake)}`;
    }
    if (name === 'clickhouse') return `clickhouse=${config.clickhouseDatabase as string}`;
    return `kafka=${(config.topicPrefix as string | undefined) ?? ''}`;
  }).join(',');
}

/** The settings of the enqueuing command that a file's load takes. */
export interface WorkSettings {
  readonly verify: boolean;
  readonly validate: boolean;
  readonly maxLineBytes: number;
  readonly maxDeadLetters: number;
  /** `--batch-rows` when given; else the worker's default for its sinks. */
  readonly batchRows?: number;
}

/** One message of the work topic. */
export interface WorkMessageBody {
  readonly format: 1;
  /** The manifest scope of the enqueuing command: a worker with other sinks or targets refuses the file. */
  readonly scope: string;
  /** `--archive` of the enqueuing command. */
  readonly archive: string;
  readonly file: PlannedFile;
  readonly settings: WorkSettings;
}

/** The work message of a file. */
export function workMessageOf(config: ResolvedConfig, scope: string, file: PlannedFile): string {
  const settings: WorkSettings = {
    verify: config.verify !== false, validate: config.validate !== false,
    maxLineBytes: config.maxLineBytes as number, maxDeadLetters: config.maxDeadLetters as number,
    ...(config.batchRows === undefined ? {} : { batchRows: config.batchRows as number }),
  };
  return JSON.stringify({ format: 1, scope, archive: config.archive as string, file, settings } satisfies WorkMessageBody);
}

/** Parses a work message; a foreign or malformed one is a {@link ConfigError} (the job is misconfigured). */
export function parseWorkMessage(text: string, where: string): WorkMessageBody {
  let body: Partial<WorkMessageBody> | null = null;
  try { body = JSON.parse(text) as Partial<WorkMessageBody> | null; } catch { /* reported below */ }
  if (body?.format !== 1 || typeof body.file?.key !== 'string' || typeof body.archive !== 'string' || typeof body.scope !== 'string' || body.settings === undefined) {
    throw new ConfigError(`${where}: not a backfill work message (published by another program, or a newer version)`);
  }
  return body as WorkMessageBody;
}
