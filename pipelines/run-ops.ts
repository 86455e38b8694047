/**
 * The operating side of one run of a long-running command, started by the command with one call: the run id,
 * the log (pipelines/run-logger.ts), the metrics (pipelines/run-metrics.ts), the metrics and health server
 * when `--metrics-port` is given (pipelines/ops-server.ts), progress lines every `--progress-interval`, and
 * the hooks that feed them: {@link RunOps.sinkHooks} for the sinks, {@link RunOps.logConnection} for the live
 * client. The log lines of the Kafka and ClickHouse clients go to the same log (connectors/client-logs.ts), with
 * the client's name in `logger`. `close()` stops the server and the probes (the command's `finally`).
 */
import { randomUUID } from 'node:crypto';
import type { LiveConnectionEvent } from '../connectors/binance-live/from-binance-live.js';
import { routeClientLogs } from '../connectors/client-logs.js';
import { isS3Url } from '../connectors/s3/s3-url.js';
import { s3ConfigOf } from './archive-source.js';
import type { SinkHooks } from './backfill-sinks.js';
import type { CommandContext } from './command.js';
import type { ResolvedConfig } from './config.js';
import { clickhouseCaOf, kafkaConfigOf } from './connection-options.js';
import { progressIntervalOf, type LogFormat, type LogLevel } from './ops-options.js';
import { startOpsServer, type OpsServer, type ReadinessCheck } from './ops-server.js';
import { KafkaProbe, clickhouseProbe, lakeCheck } from './readiness-checks.js';
import { createRunLogger, reasonOf, type Logger } from './run-logger.js';
import { RunMetrics } from './run-metrics.js';

/** See the module comment. */
export interface RunOps {
  readonly runId: string;
  readonly logger: Logger;
  readonly metrics: RunMetrics;
  /** `http://host:port` of the metrics server, when there is one. */
  readonly metricsUrl: string | undefined;
  /** Between progress lines, ms; undefined with `--progress-interval off`. */
  readonly progressMs: number | undefined;
  /** Where progress writers (runLive, startProgress) write: each JSON line they write is logged as a `progress` line. */
  readonly progress: NodeJS.WritableStream & { isTTY?: boolean };
  /** Observes and logs the sinks a command builds (metrics, retries, readiness of their services). */
  readonly sinkHooks: SinkHooks;
  /** Adds readiness checks. */
  ready(...checks: readonly ReadinessCheck[]): void;
  /** Runs `close` when the run closes (a probe's client). */
  onClose(close: () => Promise<void>): void;
  /** Logs a connection change or retry of the live client. */
  logConnection(event: LiveConnectionEvent): void;
  close(): Promise<void>;
}

/** Starts the operating side of a run of `command` (see the module comment). */
export async function startRunOps(command: string, config: ResolvedConfig, context: CommandContext): Promise<RunOps> {
  const runId = randomUUID();
  const progressMs = progressIntervalOf(config);
  const logger = createRunLogger({ command, runId, level: (config.logLevel ?? 'info') as LogLevel, format: (config.logFormat ?? 'auto') as LogFormat, out: context.stderr });
  const metrics = new RunMetrics(command, runId);
  const checks: ReadinessCheck[] = [];
  // Not undone at close: a client the stop abandoned (an admin still retrying) keeps logging into this run's log.
  routeClientLogs((entry) => logger[entry.level]({ logger: entry.client, ...entry.fields }, entry.msg), (config.logLevel ?? 'info') as LogLevel);
  const closers: (() => Promise<void>)[] = [];
  const probed = new Set<string>();
  const probe = (names: readonly string[]): void => {
    for (const name of names) {
      if (probed.has(name)) continue;
      probed.add(name);
      const check = sinkCheck(name, config);
      if (check === undefined) continue;
      checks.push(...('checks' in check ? check.checks() : [check]));
      if ('close' in check) closers.push(() => check.close());
    }
  };
  const sinkHooks: SinkHooks = {
    observe: (name, sink, index) => metrics.observeSink(name, sink, index === 0),
    onRetry: (sink, { attempt, delayMs, error }) => logger.warn({ sink, attempt, retryInMs: delayMs, reason: reasonOf(error) }, 'sink write failed; retrying'),
    built: probe,
    onBackgroundError: (sink, where, error) => logger.error({ sink, where, reason: reasonOf(error) }, 'sink background work failed; it stays due and is tried again'),
  };
  let server: OpsServer | undefined;
  const port = config.metricsPort as number | undefined;
  if (port !== undefined) {
    server = await startOpsServer({ host: (config.metricsHost as string | undefined) ?? '127.0.0.1', port, registry: metrics.registry, checks: () => checks });
    logger.info({ url: server.url, endpoints: ['/metrics', '/healthz', '/readyz'] }, 'metrics server listening');
  }
  return {
    runId, logger, metrics, metricsUrl: server?.url, progressMs, sinkHooks,
    progress: { isTTY: false, write: (chunk: string | Uint8Array) => { logProgress(logger, chunk); return true; } } as unknown as NodeJS.WritableStream,
    ready: (...added) => { checks.push(...added); },
    onClose: (close) => { closers.push(close); },
    logConnection: (event) => {
      if (event.event === 'connected') logger.info({ url: event.url }, 'WebSocket connected');
      else if (event.event === 'disconnected') logger.warn({ url: event.url, reason: event.reason, attempt: event.attempt, retryInMs: event.retryInMs }, 'WebSocket lost; reconnecting');
      else logger.warn({ url: event.url, attempt: event.attempt, reason: reasonOf(event.reason) }, 'REST call failed; retrying');
    },
    close: async () => {
      await server?.close();
      for (const close of closers) await close().catch(() => undefined);
    },
  };
}

/** The readiness of one sink's service. */
function sinkCheck(name: string, config: ResolvedConfig): ReadinessCheck | KafkaProbe | undefined {
  if (name === 'parquet') return lakeCheck(config.lake as string, isS3Url(config.lake as string) ? s3ConfigOf(config) : undefined);
  if (name === 'clickhouse' && typeof config.clickhouseUrl === 'string') {
    const caCert = clickhouseCaOf(config);
    return clickhouseProbe({
      url: config.clickhouseUrl, ...(config.clickhouseUser === undefined ? {} : { username: config.clickhouseUser as string }),
      ...(config.clickhousePassword === undefined ? {} : { password: config.clickhousePassword as string }), ...(caCert === undefined ? {} : { caCert }),
    });
  }
  const brokers = config.kafkaBrokers as readonly string[] | undefined;
  if (name === 'kafka' && brokers !== undefined && brokers.length > 0) return new KafkaProbe(kafkaConfigOf(config, brokers));
  return undefined;
}

/** Logs the JSON progress lines a progress writer wrote (`{"progress":{…}}`) as `progress` log lines. */
function logProgress(logger: Logger, chunk: string | Uint8Array): void {
  for (const line of String(chunk).split('\n')) {
    if (line.trim() === '') continue;
    try {
      const parsed = JSON.parse(line) as { progress?: Record<string, unknown> };
      logger.info(parsed.progress ?? parsed, 'progress');
    } catch {
      logger.info({ line }, 'progress');
    }
  }
}
