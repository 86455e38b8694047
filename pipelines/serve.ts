/**
 * `lakehouse serve`: the serving layer, one continuously running consumer-group member. Top to bottom:
 * fromKafka (the batch and speed layers' md.* topics, Avro, co-partitioned by symbol) → servePipeline
 * (validate → mergeSources (the watermark) → dedupe → detectGaps → fillGaps → resample → indicators, serve-pipeline.ts)
 * → every sink (ClickHouse silver tables, `klines` with `source = resample`, `gaps`, `indicators`; the Parquet lake;
 * with `kafka`, the derived topics `md.binance.<market>.bars.<interval>`, `….indicators.<interval>` and `md.gaps`) → offsets committed only
 * below what the operators' state still needs, after every sink acknowledged (serve-offsets.ts). A failed
 * session (a sink down past its retries, a lost broker) is started again after a backoff, its state rebuilt
 * from the commits. Scale out by running more processes with the same group id.
 */
import { backoffDelayMs, sleep } from '../connectors/plumbing/backoff.js';
import { fetchGapRecords } from '../connectors/binance-live/fetch-gap.js';
import { BinanceRest } from '../connectors/binance-live/rest-client.js';
import { createKafka } from '../connectors/kafka/config.js';
import { DLQ_TOPIC } from '../connectors/kafka/topic-for.js';
import { ConfigError, RetriesExhaustedError } from '../schemas/errors.js';
import type { GapRecord } from '../schemas/records.js';
import { buildSinks, preparedSinks, type SinkHooks } from './backfill-sinks.js';
import type { Command } from './command.js';
import { resolveConfig, type OptionSpec, type ResolvedConfig } from './config.js';
import { OPS_OPTIONS, READY_MAX_LAG_OPTION } from './ops-options.js';
import { KafkaProbe } from './readiness-checks.js';
import { reasonOf } from './run-logger.js';
import { startRunOps } from './run-ops.js';
import type { ServePipelineOptions } from './serve-pipeline.js';
import { SERVE_OPTIONS, parseDurationUs, serveSettingsOf } from './serve-options.js';
import { runSession, type ServeReport } from './serve-session.js';
import { kafkaConfigOf, registryConfigOf } from './connection-options.js';

export type { ServeReport } from './serve-session.js';

/**
 * The input topics: `--topics`, or every `<prefix>md.*` topic except the derived ones (bars, indicators, dead letters). `md.gaps` is read:
 * the live layer's gap records (disconnects, id holes and their repairs) belong in the ledger of every sink.
 */
export async function topicsOf(config: ResolvedConfig, brokers: readonly string[]): Promise<string[]> {
  const listed = config.topics as readonly string[] | undefined;
  if (listed !== undefined && listed.length > 0) return [...listed];
  const admin = createKafka(kafkaConfigOf(config, brokers)).admin();
  await admin.connect();
  try {
    const prefix = (config.topicPrefix as string | undefined) ?? '';
    const derived = (t: string): boolean => t === `${prefix}${DLQ_TOPIC}` || ['bars', 'indicators'].includes(t.split('.').at(-2) ?? '');
    return (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}md.`) && !derived(t)).sort();
  } finally {
    await admin.disconnect();
  }
}

function chainOf(config: ResolvedConfig, signal: AbortSignal): ServePipelineOptions {
  const settings = serveSettingsOf(config);
  if (settings.fill !== 'rest') return settings;
  const clients = new Map<string, BinanceRest>();
  const restOf = (gap: GapRecord): BinanceRest => {
    if (gap.market === 'option') throw new ConfigError('lakehouse serve: --fill rest is not available for options');
    let rest = clients.get(gap.market);
    if (rest === undefined) clients.set(gap.market, (rest = new BinanceRest({ market: gap.market, ...(config.restUrl === undefined ? {} : { baseUrl: config.restUrl as string }) })));
    return rest;
  };
  return { ...settings, fetchGap: (gap) => fetchGapRecords(restOf(gap), gap, signal) };
}

/** The name kafkajs gives the error of its retries running out (its class is not exported as a type). */
const KAFKAJS_RETRIES_EXHAUSTED = 'KafkaJSNumberOfRetriesExceeded';

/**
 * Whether restarting the session cannot help: the first error along the cause chain that says whether it is
 * retriable says no (bad configuration, refused credentials, a bucket that does not exist). A
 * RetriesExhaustedError, and kafkajs' KafkaJSNumberOfRetriesExceeded, are judged by what was retried (ClickHouse down
 * or a Kafka broker restarting for a while is worth another session).
 */
export function isPermanent(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 16; e = e.cause, depth++) {
    // kafkajs marks its own retries running out non-retriable; what was retried (a broker away) decides here too.
    if (e instanceof RetriesExhaustedError || e.name === KAFKAJS_RETRIES_EXHAUSTED) continue;
    const retriable = (e as { retriable?: unknown }).retriable;
    if (typeof retriable === 'boolean') return !retriable;
  }
  return false;
}

/** What the operating side of a serve run observes: the report (once, at the start) and the sinks of every session. */
export interface ServeHooks {
  readonly onReport?: (report: ServeReport) => void;
  readonly sinks?: SinkHooks;
}

/**
 * `promise`, or a rejection as soon as `signal` aborts: a service that accepts connections and never answers
 * (or a broker being retried) must not hold a stop. What the abandoned promise still yields goes to `dispose`.
 */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, dispose?: (late: T) => unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stop = (): void => reject(signal.reason);
    if (signal.aborted) stop();
    signal.addEventListener('abort', stop, { once: true });
    promise.then((value) => {
      signal.removeEventListener('abort', stop);
      if (signal.aborted) void Promise.resolve(dispose?.(value)).catch(() => undefined);
      resolve(value);
    }, (error: unknown) => {
      signal.removeEventListener('abort', stop);
      reject(error);
    });
  });
}

/**
 * Runs the serving loop until `signal` aborts; resolves to the report. A stop is never an error, also while a
 * service is unreachable: nothing unwritten was committed, so the next run reads it again.
 */
export async function runServe(config: ResolvedConfig, signal: AbortSignal, onProgress?: (r: ServeReport) => void, onRestart?: (error: unknown) => void, hooks: ServeHooks = {}): Promise<ServeReport> {
  const brokers = config.kafkaBrokers as readonly string[] | undefined;
  const registryUrl = config.schemaRegistryUrl as string | undefined;
  if (brokers === undefined || brokers.length === 0 || registryUrl === undefined) {
    throw new ConfigError('lakehouse serve needs --kafka-brokers (KAFKA_BROKERS) and --schema-registry-url (SCHEMA_REGISTRY_URL)');
  }
  const chain = chainOf(config, signal);
  const explicit = (config.sink as readonly string[] | undefined) ?? [];
  const names = explicit.length > 0 ? [...new Set(explicit)] : config.clickhouseUrl === undefined ? ['parquet'] : ['clickhouse', 'parquet'];
  const report: ServeReport = { batches: 0, records: 0, outputs: 0, bars: 0, gaps: 0, deadLetters: 0, commits: 0, flushes: 0, restarts: 0, streams: 0, duplicatesDropped: 0 };
  hooks.onReport?.(report);
  for (let attempt = 1; !signal.aborted; attempt++) {
    try {
      const topics = await untilAborted(topicsOf(config, brokers), signal);
      if (topics.length === 0) throw new ConfigError('lakehouse serve: no md.* topics exist yet; give --topics or produce data first (lakehouse backfill --sink kafka, lakehouse stream)');
      const stores = names.filter((n) => n !== 'kafka');
      const built = stores.length === 0 ? undefined : await untilAborted(buildSinks({ ...config, sink: stores }, hooks.sinks).then(preparedSinks), signal, (late) => late.close());
      const derived = names.includes('kafka') ? (await buildSinks({ ...config, sink: ['kafka'] }, hooks.sinks)).sinks[0] : undefined;
      try {
        await runSession({
          kafka: kafkaConfigOf(config, brokers), registry: registryConfigOf(config, registryUrl), topics, groupId: config.groupId as string, fromBeginning: config.fromBeginning as boolean,
          chain, sinks: built?.sinks ?? [], ...(derived === undefined ? {} : { derived }), maxInFlight: Math.max(1, config.maxInFlight as number), idleFlushMs: parseDurationUs(config.idleFlush as string, '--idle-flush') / 1000,
          report, onProgress: () => onProgress?.(report),
        }, signal);
        attempt = 0;
      } finally {
        await built?.close();
      }
    } catch (error) {
      if (signal.aborted) break;
      if (isPermanent(error)) throw error;
      report.restarts++;
      onRestart?.(error);
      await sleep(backoffDelayMs(attempt, { baseDelayMs: 500, maxDelayMs: 10_000 }), signal).catch(() => undefined);
    }
  }
  return report;
}

/** Every option of the `serve` command: the serving ones and the operating ones. */
export const SERVE_COMMAND_OPTIONS: readonly OptionSpec[] = [...SERVE_OPTIONS, READY_MAX_LAG_OPTION, ...OPS_OPTIONS];

export const serveCommand: Command = {
  name: 'serve',
  usage: 'serve [--group-id G] [--topic-prefix P] [--sink clickhouse,parquet[,kafka]] [--clickhouse-database D] [--lake DIR]\n'
    + '      [--intervals 1m[,5m,1h,1d]] [--indicators rsi:14,macd:12:26:9,bb:20:2,vwap] [--fill rest|flat|none] [--allowed-lateness 1s] [--topics T1,T2] [--metrics-port PORT]',
  options: SERVE_COMMAND_OPTIONS,
  async run(argv, context) {
    const { config } = resolveConfig('serve', SERVE_COMMAND_OPTIONS, argv, context.env);
    const ops = await startRunOps('serve', config, context);
    const brokers = config.kafkaBrokers as readonly string[] | undefined;
    try {
      if (brokers !== undefined && brokers.length > 0) {
        const probe = new KafkaProbe(kafkaConfigOf(config, brokers), { id: config.groupId as string, topics: () => topicsOf(config, brokers), maxLag: config.readyMaxLag as number });
        ops.ready(...probe.checks());
        ops.onClose(() => probe.close());
        ops.metrics.watchConsumerLag(() => probe.lag());
      }
      let last = 0;
      const report = await runServe(config, context.signal, (r) => {
        if (ops.progressMs === undefined || Date.now() - last < ops.progressMs) return;
        last = Date.now();
        ops.logger.info({ ...r }, 'progress');
      }, (error) => {
        ops.logger.warn({ reason: reasonOf(error) }, 'serve session failed; starting a new one from the committed offsets');
      }, { onReport: (r) => ops.metrics.watchServe(r), sinks: ops.sinkHooks });
      context.stdout.write(JSON.stringify({ event: 'report', ...report }) + '\n');
      return 0;
    } finally {
      await ops.close();
    }
  },
};
