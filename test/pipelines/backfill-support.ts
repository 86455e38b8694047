/** Helpers for the backfill end-to-end tests: a generated mirror served over HTTP and a captured CLI run. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Command } from '../../pipelines/command.js';
import type { BackfillReport } from '../../pipelines/backfill-report.js';

/** Output of one command run. */
export interface CapturedRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

function sink(): { stream: Writable; text: () => string } {
  const parts: string[] = [];
  const stream = new Writable({ write(chunk, _e, cb) { parts.push(String(chunk)); cb(); } });
  return { stream, text: () => parts.join('') };
}

/** Runs a command with captured stdout/stderr (not a TTY). */
export async function runCommand(command: Command, argv: readonly string[], env: NodeJS.ProcessEnv = {}, signal = new AbortController().signal): Promise<CapturedRun> {
  const out = sink(); const err = sink();
  const exitCode = await command.run(argv, { env, stdout: out.stream, stderr: err.stream, signal });
  return { exitCode, stdout: out.text(), stderr: err.text() };
}

/** Runs `backfill --json` and parses the report. */
export async function runBackfillJson(command: Command, argv: readonly string[]): Promise<CapturedRun & { report: BackfillReport }> {
  const run = await runCommand(command, [...argv, '--json']);
  const line = run.stdout.trim().split('\n').at(-1) ?? '{}';
  return { ...run, report: JSON.parse(line) as BackfillReport };
}

const created: string[] = [];

/** A fresh temp directory, removed by {@link removeTempDirs}. */
export async function tempDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `${name}-`));
  created.push(dir);
  return dir;
}

/** Removes every directory made by {@link tempDir} in this process (call from a top-level `after`). */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}
