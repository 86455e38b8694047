/**
 * The log lines of the third-party clients (kafkajs, `@clickhouse/client`) in one place instead of their own
 * console output: a command routes them into its run log with {@link routeClientLogs}; unrouted, they are
 * written to stderr as one JSON line each. Each client takes its logger and level when it is created
 * (`createKafka`, `createClickHouseClient`), so a command routes before it connects; a Kafka sink worker
 * thread forwards its entries to the thread that owns it (to-kafka-worker.ts).
 */
import type { ErrorLogParams, Logger as ClickHouseLogger, LogParams, WarnLogParams } from '@clickhouse/client';
import type { LogEntry, logCreator } from 'kafkajs';

/** Levels a route accepts, most verbose first (those of the run log). */
export type ClientLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** One log line of a client: its level, message and fields (plain data: it crosses threads). */
export interface ClientLogEntry {
  readonly client: 'kafkajs' | 'clickhouse';
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  readonly msg: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

let route: { readonly sink: (entry: ClientLogEntry) => void; readonly level: ClientLogLevel } | undefined;

/** Sends every client log line at `level` or above to `sink` until the returned function restores the previous route. */
export function routeClientLogs(sink: (entry: ClientLogEntry) => void, level: ClientLogLevel): () => void {
  const previous = route;
  const current = { sink, level };
  route = current;
  return () => { if (route === current) route = previous; };
}

/** The level clients created now log at: the route's, `error` while unrouted. */
export function clientLogLevel(): ClientLogLevel {
  return route?.level ?? 'error';
}

/** Passes `entry` to the route, or writes it to stderr as a JSON line. */
export function emitClientLog(entry: ClientLogEntry): void {
  if (route !== undefined) {
    route.sink(entry);
    return;
  }
  process.stderr.write(`${JSON.stringify({ level: entry.level, time: new Date().toISOString(), logger: entry.client, msg: entry.msg, ...entry.fields })}\n`);
}

/**
 * kafkajs' level (its `logLevel` numbers: 0 nothing, 1 error, 2 warn, 4 info, 5 debug) for a run at `level`:
 * errors only down to `info` (its warn and info lines are chatter about partitioners and group joins; the
 * engine logs its own retries), info at `debug`, everything at `trace`.
 */
export function kafkajsLevelOf(level: ClientLogLevel): number {
  switch (level) {
    case 'trace': return 5;
    case 'debug': return 4;
    case 'silent': return 0;
    default: return 1;
  }
}

const KAFKAJS_LEVELS: Readonly<Record<number, ClientLogEntry['level']>> = { 1: 'error', 2: 'warn', 4: 'info', 5: 'debug' };

/** A kafkajs `logCreator` emitting {@link ClientLogEntry} lines (the stack trace of an error is left out). */
export const kafkajsLogCreator: logCreator = () => ({ namespace, level, log }: LogEntry) => {
  const { message, timestamp: _timestamp, logger: _logger, stack: _stack, ...fields } = log as LogEntry['log'] & { stack?: unknown };
  emitClientLog({ client: 'kafkajs', level: KAFKAJS_LEVELS[level] ?? 'info', msg: String(message), fields: { namespace, ...fields } });
};

/**
 * `@clickhouse/client`'s level (its `ClickHouseLogLevel` numbers: 0 trace … 4 error, 127 off) for a run at
 * `level`: its own default (warn) down to `info`.
 */
export function clickhouseLevelOf(level: ClientLogLevel): number {
  switch (level) {
    case 'trace': return 0;
    case 'debug': return 1;
    case 'error': case 'fatal': return 4;
    case 'silent': return 127;
    default: return 3;
  }
}

function clickhouseEntry(level: ClientLogEntry['level'], { module, message, args, err }: LogParams & { err?: Error }): void {
  emitClientLog({
    client: 'clickhouse', level, msg: message,
    fields: { module, ...(args === undefined ? {} : { args }), ...(err === undefined ? {} : { reason: `${err.name}: ${err.message.split('\n')[0]}` }) },
  });
}

/** A `@clickhouse/client` logger class (`log.LoggerClass`) emitting {@link ClientLogEntry} lines. */
export class ClickHouseClientLogger implements ClickHouseLogger {
  trace(params: LogParams): void { clickhouseEntry('trace', params); }
  debug(params: LogParams): void { clickhouseEntry('debug', params); }
  info(params: LogParams): void { clickhouseEntry('info', params); }
  warn(params: WarnLogParams): void { clickhouseEntry('warn', params); }
  error(params: ErrorLogParams): void { clickhouseEntry('error', params); }
}
