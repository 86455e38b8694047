/**
 * The log of a command run: pino JSON lines on stderr, each with `time` (ISO 8601), `level` (its name),
 * `runId`, `command` and `msg`, plus the event's fields; on a terminal (or `--log-format pretty`) the same
 * events as short human lines. Secrets never reach it in the first place (errors are logged by their message,
 * which connectors keep free of credentials), and the CLI's output streams mask any that would
 * (pipelines/redact-secrets.ts).
 */
import { pino, type Logger } from 'pino';
import type { LogFormat, LogLevel } from './ops-options.js';

export type { Logger } from 'pino';

/** What {@link createRunLogger} needs. */
export interface RunLoggerOptions {
  readonly command: string;
  readonly runId: string;
  readonly level: LogLevel;
  readonly format: LogFormat;
  readonly out: NodeJS.WritableStream & { isTTY?: boolean };
}

const BASE_FIELDS = new Set(['time', 'level', 'runId', 'command', 'msg', 'pid', 'hostname']);

/** One JSON log line as `HH:MM:SS.mmm LEVEL msg key=value …`. */
export function humanLogLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 23) : '';
  const fields = Object.entries(entry).filter(([key]) => !BASE_FIELDS.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value)}`);
  return `${time} ${String(entry.level).toUpperCase().padEnd(5)} ${String(entry.msg ?? '')}${fields.length > 0 ? ` ${fields.join(' ')}` : ''}\n`;
}

/** A pino logger writing to `out` (see the module comment). */
export function createRunLogger(options: RunLoggerOptions): Logger {
  const human = options.format === 'pretty' || (options.format === 'auto' && options.out.isTTY === true);
  const destination = { write: (line: string): void => { options.out.write(human ? humanLogLine(line) : line); } };
  return pino({
    level: options.level,
    base: { runId: options.runId, command: options.command },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  }, destination);
}

/** An error as one line for a log field: `Name: message` (the first line of it), then its causes'. */
export function reasonOf(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    parts.push(e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}` : String(e).split('\n')[0]);
    if (!(e instanceof Error)) break;
  }
  return parts.join(' <- ');
}
