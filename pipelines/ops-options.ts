/**
 * The operating options of every long-running command (`stream`, `serve`, `replay`, `backfill`): the metrics
 * and health server (`--metrics-port`), the log (`--log-level`, `--log-format`) and how often a progress line
 * is logged (`--progress-interval`). Declared once here and appended to each command's options.
 */
import { ConfigError } from '../schemas/errors.js';
import type { OptionSpec, ResolvedConfig } from './config.js';

/** Log levels, most verbose first (`silent` logs nothing). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Log formats: `auto` is `pretty` on a terminal and `json` elsewhere. */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The options every long-running command takes. */
export const OPS_OPTIONS: readonly OptionSpec[] = [
  { name: 'metricsPort', type: 'number', placeholder: 'PORT', integer: true, min: 0, max: 65535,
    doc: 'Serve Prometheus metrics on /metrics and health on /healthz (alive) and /readyz (connected, sinks reachable, caught up) at this port (0 = any free port, logged); none when absent' },
  { name: 'metricsHost', type: 'string', default: '127.0.0.1', placeholder: 'ADDRESS', doc: 'Address the metrics server listens on (0.0.0.0 for a scraper on another host)' },
  { name: 'logLevel', type: 'string', placeholder: 'LEVEL', choices: LOG_LEVELS, default: 'info', doc: 'Least severe log line written (stderr)' },
  { name: 'logFormat', type: 'string', placeholder: 'FORMAT', choices: LOG_FORMATS, default: 'auto', doc: 'Log lines as JSON (time, level, runId, command, msg, fields) or human-readable; auto = human on a terminal' },
  { name: 'progressInterval', type: 'string', default: '10s', placeholder: 'DURATION', doc: 'Log a progress line this often (e.g. 1s, 30s, 5m), or off' },
];

/** The bound of `/readyz` on the consumer lag of `serve`. */
export const READY_MAX_LAG_OPTION: OptionSpec = {
  name: 'readyMaxLag', type: 'number', default: 1_000_000, placeholder: 'RECORDS', integer: true, min: 0,
  doc: '/readyz reports unready while the consumer group lags more than this many records behind the end of its topics (0 = no bound)',
};

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const MS_PER_UNIT: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `--progress-interval` in ms, or undefined for `off` (a bare number is seconds). */
export function progressIntervalOf(config: ResolvedConfig): number | undefined {
  const text = String(config.progressInterval ?? '10s').trim();
  if (text === 'off' || text === '0') return undefined;
  const match = DURATION.exec(text);
  const ms = match === null ? NaN : Math.round(Number(match[1]) * MS_PER_UNIT[match[2] ?? 's']);
  if (!(ms >= 100 && ms <= 86_400_000)) {
    throw new ConfigError(`--progress-interval expects a duration from 100ms to 24h (e.g. 1s, 30s, 5m) or off, got ${JSON.stringify(text)}`);
  }
  return ms;
}
