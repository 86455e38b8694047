/**
 * What the lambda end-to-end tests share: a run's service environment, `lakehouse serve` run in this process
 * until a condition on ClickHouse holds, and typed queries of a test database (dropped afterwards).
 */
import type { TestContext } from 'node:test';
import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouseClient } from '../../connectors/clickhouse/config.js';
import { resolveConfig } from '../../pipelines/config.js';
import { SERVE_OPTIONS } from '../../pipelines/serve-options.js';
import { runServe, type ServeReport } from '../../pipelines/serve.js';
import { clickhouseService, kafkaService, registryService, type ClickHouseEndpoint } from '../support/services.js';

/** The services a lambda test needs, or undefined after skipping `t`. */
export interface LambdaServices {
  readonly env: NodeJS.ProcessEnv;
  readonly clickhouse: ClickHouseEndpoint;
  readonly client: ClickHouseClient;
  /** Rows of a query as objects (every value a string: the query converts them). */
  rows<T extends Record<string, string>>(sql: string): Promise<T[]>;
}

/** The Kafka, registry and ClickHouse services (`database` dropped after the test), or undefined after skipping `t`. */
export async function lambdaServices(t: TestContext, database: string): Promise<LambdaServices | undefined> {
  const [kafka, registry, clickhouse] = await Promise.all([kafkaService(), registryService(), clickhouseService()]);
  if (kafka === undefined || registry === undefined || clickhouse === undefined) { t.skip('services not configured'); return undefined; }
  const client = await createClickHouseClient({ url: clickhouse.url, username: clickhouse.username, password: clickhouse.password });
  t.after(async () => {
    await client.command({ query: `DROP DATABASE IF EXISTS ${database}` }).catch(() => undefined);
    await client.close();
  });
  const env = {
    KAFKA_BROKERS: kafka.brokers.join(','), SCHEMA_REGISTRY_URL: registry.url,
    CLICKHOUSE_URL: clickhouse.url, CLICKHOUSE_USER: clickhouse.username, CLICKHOUSE_PASSWORD: clickhouse.password,
  };
  const rows = async <T extends Record<string, string>>(sql: string): Promise<T[]> => (await client.query({ query: sql, format: 'JSONEachRow' })).json<T>();
  return { env, clickhouse, client, rows };
}

/**
 * Runs `serve` with `argv` in this process until `done` holds (polled), or 120 s passed (the caller's
 * assertions then fail on what is missing); resolves to its report.
 */
export async function serveUntil(argv: readonly string[], env: NodeJS.ProcessEnv, done: () => Promise<boolean>): Promise<ServeReport> {
  const { config } = resolveConfig('serve', SERVE_OPTIONS, argv, env);
  const stop = new AbortController();
  const deadline = setTimeout(() => stop.abort(), 120_000);
  let polling = false;
  const poll = setInterval(() => {
    if (polling) return;
    polling = true;
    void done().then((yes) => { if (yes) stop.abort(); }, () => undefined).finally(() => { polling = false; });
  }, 500);
  try {
    return await runServe(config, stop.signal);
  } finally {
    clearTimeout(deadline);
    clearInterval(poll);
  }
}
