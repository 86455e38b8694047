/** `lakehouse ARGV` as a child process that a test can kill at any moment (the chaos suite, kill -9 tests). */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { REPO_ROOT } from './fixtures.js';
import { join } from 'node:path';

/** A running `lakehouse` process: its output so far and its exit. */
export interface LakehouseChild {
  readonly child: ChildProcess;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  /** stdout so far. */
  stdout(): string;
  /** Resolves with the exit status (null when killed by a signal). */
  readonly exit: Promise<number | null>;
}

/**
 * Starts `lakehouse ARGV` from the TypeScript sources with only PATH and HOME from this environment plus `env`:
 * every service a command uses is named by a flag, so endpoints exported in the test's shell do not add sinks.
 */
export function lakehouseChild(argv: readonly string[], env: NodeJS.ProcessEnv = {}): LakehouseChild {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'lakehouse.mjs'), ...argv], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LAKEHOUSE_FROM_SOURCES: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  let stdout = '';
  child.stdout?.on('data', (d) => { text += String(d); stdout += String(d); });
  child.stderr?.on('data', (d) => { text += String(d); });
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  return { child, output: () => text, stdout: () => stdout, exit };
}
