/** The shape of one `lakehouse` sub-command (one file per command in pipelines/). */
import type { OptionSpec } from './config.js';

export interface CommandContext {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Aborted on SIGINT/SIGTERM: long commands stop cleanly and print their report. */
  readonly signal: AbortSignal;
}

export interface Command {
  readonly name: string;
  /** Usage line(s) after `lakehouse <name>`. */
  readonly usage: string;
  readonly options: readonly OptionSpec[];
  /** Runs the command; resolves to the process exit status. */
  run(argv: readonly string[], context: CommandContext): Promise<number>;
}

/** A registered command: what `lakehouse --help` shows, and how to load the command only when it runs. */
export interface CommandEntry {
  readonly name: string;
  /** One line for `lakehouse --help` and the command's own help. */
  readonly summary: string;
  /** Imports the command's module (commands load their heavy dependencies only when used). */
  load(): Promise<Command>;
}
