/**
 * The `lakehouse` command line: dispatches to one command per file. `--help` lists only commands that are
 * registered here, i.e. that work.
 */
import { EngineError } from '../schemas/errors.js';
import type { Command, CommandContext } from './command.js';
import { formatOptions } from './config.js';
import { backfillCommand } from './backfill.js';
import { infraCommand } from './infra.js';
import { mirrorCommand } from './mirror.js';
import { queryCommand } from './query.js';
import { serveCommand } from './serve.js';
import { gapsCommand } from './gaps.js';
import { replayCommand } from './replay.js';
import { streamCommand } from './stream.js';

/** Every working command, in --help order. */
export const COMMANDS: readonly Command[] = [backfillCommand, streamCommand, replayCommand, mirrorCommand, serveCommand, gapsCommand, queryCommand, infraCommand];

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

function commandHelp(command: Command): string {
  const options = command.options.length > 0 ? `\n\nOptions:\n${formatOptions(command.options)}` : '';
  return `Usage: lakehouse ${command.usage}\n\n${command.summary}${options}`;
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit status. */
export async function main(argv: readonly string[], context: CommandContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    context.stdout.write(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    context.stderr.write(`lakehouse: unknown command ${JSON.stringify(name)}\n\n${usage()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    context.stdout.write(commandHelp(command) + '\n');
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
