/**
 * infra/local/infra.sh driven from the tests: its optional services (started when a test needs them and not
 * running, stopped again when this process exits unless KEEP_INFRA is set) and private instances under their own
 * state directory and ports. Where infra/local cannot start a service the tests skip, except under CI (or
 * REQUIRE_INFRA=1), where that is a failure.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const SCRIPT = join(import.meta.dirname, '..', '..', 'infra', 'local', 'infra.sh');
const required = process.env.CI === 'true' || process.env.REQUIRE_INFRA === '1';

/** The ClickHouse server binary infra/local runs. */
export const CLICKHOUSE_SERVER_BIN = process.env.LAKEHOUSE_CLICKHOUSE_BIN ?? '/usr/sbin/clickhouse-server';

/** Runs `infra.sh ARGS` with `env` on top of this process's environment; its exit code and output. */
export function runInfra(env: Record<string, string>, ...args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('bash', [SCRIPT, ...args], { env: { ...process.env, ...env }, timeout: 300_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, output: stdout + stderr });
    });
  });
}

const started = new Map<string, Promise<Record<string, string> | undefined>>();

/**
 * Ensures the optional `service` runs and resolves to the variables `infra.sh env <envFlag>` prints; undefined
 * when infra/local cannot start it outside CI.
 */
export function optionalServiceEnv(service: string, envFlag: string): Promise<Record<string, string> | undefined> {
  let ready = started.get(service);
  if (ready === undefined) {
    ready = (async () => {
      const wasRunning = (await runInfra({}, 'status', service)).code === 0;
      if (!wasRunning) {
        const up = await runInfra({}, 'up', service);
        if (up.code !== 0) {
          if (required) throw new Error(`infra.sh up ${service} failed:\n${up.output}`);
          return undefined;
        }
        if (process.env.KEEP_INFRA === undefined) process.once('beforeExit', () => { void runInfra({}, 'down', service); });
      }
      const env: Record<string, string> = {};
      for (const line of (await runInfra({}, 'env', envFlag)).output.split('\n')) {
        const match = /^export ([A-Z0-9_]+)=(.*)$/.exec(line);
        if (match !== null) env[match[1] as string] = (match[2] as string).replace(/^'(.*)'$/, '$1');
      }
      return env;
    })();
    started.set(service, ready);
  }
  return ready;
}

/** Whether infra/local can run ClickHouse on this machine. */
export function localClickHouseAvailable(): boolean {
  return existsSync(CLICKHOUSE_SERVER_BIN);
}

/** A TCP port on 127.0.0.1 that was free a moment ago (for a private instance's ports). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
