/** `lakehouse infra up|down|status|env|install`: the local Kafka, Schema Registry, ClickHouse and S3 services. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../schemas/errors.js';
import type { Command } from './command.js';

/** The repository's infra script, from the sources (pipelines/) or the build (dist/pipelines/). */
function scriptPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '..', 'infra', 'local', 'infra.sh'), join(here, '..', '..', 'infra', 'local', 'infra.sh')];
  return candidates.find((path) => existsSync(path)) ?? (candidates[0] as string);
}

const SCRIPT = scriptPath();
const ACTIONS = ['up', 'down', 'status', 'env', 'install'] as const;

export const infraCommand: Command = {
  name: 'infra',
  usage: `infra up [SERVICE...]      start (idempotent) kafka, registry, clickhouse, s3 and wait until healthy
                             (optional, only when named: kafka-secure, a SASL_SSL Kafka + a ClickHouse password user)
  infra down [SERVICE...]    stop what infra up started
  infra status [--json]      each service's state, version and endpoint, then the env vars to export
  infra env [--secure]       print 'export VAR=…' lines for the services (--secure: kafka-secure's LAKEHOUSE_* credentials)
  infra install              download/build everything into the cache without starting`,
  options: [],
  run(argv, context) {
    const [action, ...rest] = argv;
    if (action === undefined || !(ACTIONS as readonly string[]).includes(action)) {
      throw new ConfigError(`lakehouse infra: expected one of ${ACTIONS.join(', ')}; got ${JSON.stringify(action ?? '')}`);
    }
    return new Promise((resolve, reject) => {
      const child = spawn('bash', [SCRIPT, action, ...rest], { stdio: 'inherit', env: context.env });
      const onAbort = (): void => { child.kill('SIGINT'); };
      context.signal.addEventListener('abort', onAbort, { once: true });
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        context.signal.removeEventListener('abort', onAbort);
        resolve(code ?? (signal === null ? 1 : 130));
      });
    });
  },
};
