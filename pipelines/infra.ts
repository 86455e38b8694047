/** `lakehouse infra up|down|status|env|install`: the local Kafka, Schema Registry, ClickHouse and S3 services. */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../schemas/errors.js';
import type { Command } from './command.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'infra', 'local', 'infra.sh');
const ACTIONS = ['up', 'down', 'status', 'env', 'install'] as const;

export const infraCommand: Command = {
  name: 'infra',
  usage: `infra up [SERVICE...]      start (idempotent) kafka, registry, clickhouse, s3 and wait until healthy
  infra down [SERVICE...]    stop what infra up started
  infra status [--json]      each service's state, version and endpoint, then the env vars to export
  infra env                  print 'export VAR=…' lines for the services
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
