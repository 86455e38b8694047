/**
 * The `lakehouse` command line: dispatches to one command per file, imported only when it runs (so `--help`
 * and light commands do not load Kafka, ccxt, DuckDB or ClickHouse clients). `--help` lists only commands that
 * are registered here, i.e. that work.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineError } from '../schemas/errors.js';
import type { Command, CommandContext, CommandEntry } from './command.js';
import { formatOptions, resolveConfig, type OptionSpec } from './config.js';
import { MAX_TIMER_MS } from './option-checks.js';
import { redactingStream, secretValuesOf } from './redact-secrets.js';

/** Every working command, in --help order. */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'backfill', summary: 'load Binance archives (data.binance.vision, a mirror, a directory or s3://) into the lake / ClickHouse / Kafka',
    load: async () => (await import('./backfill.js')).backfillCommand },
  { name: 'stream', summary: 'stream live Binance data (WebSocket + REST repair, or ccxt) into Kafka, or the Parquet lake without Kafka',
    load: async () => (await import('./stream.js')).streamCommand },
  { name: 'replay', summary: 'replay archives or captured traffic as a Binance-compatible WebSocket/REST feed (--serve), or into Kafka / the lake',
    load: async () => (await import('./replay.js')).replayCommand },
  { name: 'mirror', summary: 'copy archive objects into an S3 bucket (streamed GET → multipart PUT, verified, resumable)',
    load: async () => (await import('./mirror.js')).mirrorCommand },
  { name: 'serve', summary: 'the merge point: both layers from Kafka through the operator chain into ClickHouse, the lake and derived topics (consumer group)',
    load: async () => (await import('./serve.js')).serveCommand },
  { name: 'gaps', summary: 'find the gaps of one stream in the lake (leading, interior, trailing; id holes) and fill them from REST or flat',
    load: async () => (await import('./gaps.js')).gapsCommand },
  { name: 'resample', summary: 'build bars at coarser intervals from klines, trades or aggTrades in the lake (gold layer)',
    load: async () => (await import('./resample.js')).resampleCommand },
  { name: 'compact', summary: 'rewrite lake day partitions to one row per identity key, the highest version (lakes written by backfill, stream, …)',
    load: async () => (await import('./compact.js')).compactCommand },
  { name: 'indicators', summary: 'compute RSI, MACD, Bollinger Bands and VWAP over one bar stream in the lake, into the lake (gold layer)',
    load: async () => (await import('./indicators.js')).indicatorsCommand },
  { name: 'quality', summary: 'score one stream in the lake per UTC day: completeness, gaps by cause, duplicates, dead letters, late records (alerting exit status)',
    load: async () => (await import('./quality.js')).qualityCommand },
  { name: 'query', summary: 'run SQL against ClickHouse, or against the local Parquet lake (DuckDB) in embedded mode',
    load: async () => (await import('./query.js')).queryCommand },
  { name: 'infra', summary: 'up | down | status | env | install — real local Kafka, Schema Registry, ClickHouse and S3 on loopback',
    load: async () => (await import('./infra.js')).infraCommand },
];

/** The version in the package's package.json: one level up from the sources (pipelines/), two from the build (dist/pipelines/). */
export function packageVersion(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const path of [join(here, '..', 'package.json'), join(here, '..', '..', 'package.json')]) {
    if (!existsSync(path)) continue;
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown; version?: unknown };
    if (manifest.name === 'crypto-lakehouse' && typeof manifest.version === 'string') return manifest.version;
  }
  throw new Error(`lakehouse: no crypto-lakehouse package.json above ${here}`);
}

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'lakehouse — Binance market data: archives and live streams into Kafka, ClickHouse and a Parquet lake',
    '',
    'Usage: lakehouse <command> [options]      lakehouse <command> --help      lakehouse --version',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Configuration: flags > LAKEHOUSE_* environment > lakehouse.config.json > defaults.',
    `Stopping: SIGINT/SIGTERM (Ctrl-C) stop a command cleanly; a second one, or ${STOP_GRACE_OPTION.default as number} s without stopping`,
    '(LAKEHOUSE_STOP_GRACE_S), ends the process at once with status 130 (SIGINT) or 143 (SIGTERM).',
  ].join('\n');
}

function commandHelp(entry: CommandEntry, command: Command): string {
  const options = command.options.length > 0 ? `\n\nOptions:\n${formatOptions(command.options)}` : '';
  return `Usage: lakehouse ${command.usage}\n\n${entry.summary}${options}`;
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit status. */
export async function main(argv: readonly string[], context: CommandContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    context.stdout.write(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    context.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (entry === undefined) {
    context.stderr.write(`lakehouse: unknown command ${JSON.stringify(name)}\n\n${usage()}\n`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    context.stdout.write(commandHelp(entry, command) + '\n');
    return 0;
  }
  // Messages thrown by a command often name it already ("lakehouse gaps: --symbol …"): say it once.
  const prefix = `lakehouse ${name}: `;
  const once = (message: string): string => (message.startsWith(prefix) ? message : `${prefix}${message}`);
  // Whatever the command or a client library writes, the run's secrets never appear in it.
  const secrets = secretValuesOf(name, command.options, rest, context.env);
  const guarded: CommandContext = { ...context, stdout: redactingStream(context.stdout, secrets), stderr: redactingStream(context.stderr, secrets) };
  try {
    return await command.run(rest, guarded);
  } catch (error) {
    if (error instanceof EngineError && !error.retriable && error.name === 'ConfigError') {
      guarded.stderr.write(`${once(error.message)}\n`);
      return 2;
    }
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    guarded.stderr.write(`${once(message)}\n`);
    return 1;
  }
}

/** How long a command may take to stop after SIGINT/SIGTERM before the process ends anyway. */
export const STOP_GRACE_OPTION: OptionSpec = {
  name: 'stopGraceS', type: 'number', default: 10, min: 0, max: Math.floor(MAX_TIMER_MS / 1000),
  doc: 'seconds a command may take to stop after SIGINT/SIGTERM before the process ends anyway',
};

const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15 } as const;

/**
 * Runs the CLI as this process and ends it. SIGINT/SIGTERM abort the command's `signal` (it stops cleanly and
 * reports); a second signal, or the grace (`LAKEHOUSE_STOP_GRACE_S`, default 10 s) passing without the command
 * returning — a server that never answers, a broker that is gone — ends the process at once with 128 + the
 * signal's number (130 SIGINT, 143 SIGTERM), saying so on stderr. Once the command returned and its output is
 * flushed, the process exits with its status even if a socket or timer was left open.
 */
export async function runAsProcess(argv: readonly string[]): Promise<never> {
  const out = (stream: NodeJS.WriteStream): Promise<void> => new Promise((resolve) => stream.write('', () => resolve()));
  const exit = async (status: number): Promise<never> => {
    await Promise.all([out(process.stdout), out(process.stderr)]);
    return process.exit(status);
  };
  let graceMs: number;
  try {
    graceMs = (resolveConfig('lakehouse', [STOP_GRACE_OPTION], [], process.env).config.stopGraceS as number) * 1000;
  } catch (error) {
    process.stderr.write(`lakehouse: ${(error as Error).message}\n`);
    return exit(2);
  }
  const controller = new AbortController();
  for (const name of ['SIGINT', 'SIGTERM'] as const) {
    process.on(name, () => {
      const status = 128 + SIGNAL_NUMBERS[name];
      if (controller.signal.aborted) {
        process.stderr.write(`\nlakehouse: ${name} again; exiting now without waiting for the command to stop\n`);
        process.exit(status);
      }
      controller.abort(new Error(`received ${name}`));
      setTimeout(() => {
        process.stderr.write(`\nlakehouse: the command did not stop within ${graceMs / 1000} s of ${name}; exiting\n`);
        process.exit(status);
      }, graceMs).unref();
    });
  }
  const status = await main(argv, { env: process.env, stdout: process.stdout, stderr: process.stderr, signal: controller.signal });
  return exit(status);
}
