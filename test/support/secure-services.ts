/**
 * The secured services of infra/local for the integration tests: the optional `kafka-secure` broker (SASL_SSL,
 * SCRAM and PLAIN users, its own CA) and the ClickHouse user with a password. Started with
 * `infra.sh up kafka-secure` when not running (idempotent; the shared services are left as they are) and
 * stopped again after the run when this process started it (unless KEEP_INFRA is set). Returns the
 * `LAKEHOUSE_*` variables `infra.sh env --secure` prints, or undefined when infra/local cannot start it
 * (a failure under CI).
 */
import { execFile, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'infra', 'local', 'infra.sh');
const required = process.env.CI === 'true' || process.env.REQUIRE_INFRA === '1';

let started: Promise<Record<string, string> | undefined> | undefined;

async function isRunning(): Promise<boolean> {
  try {
    await run('bash', [SCRIPT, 'status', 'kafka-secure']);
    return true;
  } catch {
    return false;
  }
}

/** Waits until ClickHouse accepts the password user (it re-reads users files a few seconds after they change). */
async function userReady(env: Record<string, string>): Promise<void> {
  const url = process.env.CLICKHOUSE_URL;
  if (url === undefined) return;
  const auth = { 'X-ClickHouse-User': env.LAKEHOUSE_CLICKHOUSE_USER ?? '', 'X-ClickHouse-Key': env.LAKEHOUSE_CLICKHOUSE_PASSWORD ?? '' };
  for (let attempt = 0; attempt < 60; attempt++) {
    const response = await fetch(`${url}/?query=SELECT%201`, { headers: auth }).catch(() => undefined);
    if (response?.ok === true) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Ensures kafka-secure runs; resolves to its environment (the secured Kafka and ClickHouse user's variables). */
export function secureServicesEnv(): Promise<Record<string, string> | undefined> {
  started ??= (async () => {
    const wasRunning = await isRunning();
    try {
      if (!wasRunning) await run('bash', [SCRIPT, 'up', 'kafka-secure'], { timeout: 180_000 });
    } catch (error) {
      if (required) throw error;
      return undefined;
    }
    if (!wasRunning && process.env.KEEP_INFRA === undefined) {
      process.once('beforeExit', () => { void run('bash', [SCRIPT, 'down', 'kafka-secure']); });
    }
    const { stdout } = await run('bash', [SCRIPT, 'env', '--secure']);
    const env: Record<string, string> = {};
    for (const line of stdout.split('\n')) {
      const match = /^export ([A-Z0-9_]+)=(.*)$/.exec(line);
      if (match !== null) env[match[1] as string] = match[2] as string;
    }
    await userReady(env);
    return env;
  })();
  return started;
}

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'lakehouse.mjs');

/** Runs `lakehouse ARGV` as its own process (so library logs and crash traces are caught too); stdout + stderr. */
export function cliProcess(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], { env: { PATH: process.env.PATH, HOME: process.env.HOME, LAKEHOUSE_FROM_SOURCES: '1', ...env } });
    const parts: string[] = [];
    child.stdout.on('data', (d) => parts.push(String(d)));
    child.stderr.on('data', (d) => parts.push(String(d)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output: parts.join('') }));
  });
}
