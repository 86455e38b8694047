/**
 * The `lakehouse` command line: dispatches to one command per file, imported only when it runs (so `--help`
 * and light commands do not load Kafka, ccxt, DuckDB or ClickHouse clients). `--help` lists only commands that
 * are registered here, i.e. that work.
 */
import { EngineError } from '../schemas/errors.js';
import type { Command, CommandContext, CommandEntry } from './command.js';
import { formatOptions } from './config.js';

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
  { name: 'query', summary: 'run SQL against ClickHouse, or against the local Parquet lake (DuckDB) in embedded mode',
    load: async () => (await import('./query.js')).queryCommand },
  { name: 'infra', summary: 'up | down | status | env | install — real local Kafka, Schema Registry, ClickHouse and S3 on loopback',
    load: async () => (await import('./infra.js')).infraCommand },
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'lakehouse — Binance market data: archives and live streams into Kafka, ClickHouse and a Parquet lake',
    '',
    'Usage: lakehouse <command> [options]      lakehouse <command> --help',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Configuration: flags > LAKEHOUSE_* environment > lakehouse.config.json > defaults.',
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
  try {
    return await command.run(rest, context);
  } catch (error) {
    if (error instanceof EngineError && !error.retriable && error.name === 'ConfigError') {
      context.stderr.write(`lakehouse ${name}: ${error.message}\n`);
      return 2;
    }
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    context.stderr.write(`lakehouse ${name}: ${message}\n`);
    return 1;
  }
}
