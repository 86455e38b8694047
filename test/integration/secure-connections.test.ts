/**
 * Secured connections end to end, with credentials from the environment only: `lakehouse backfill --sink kafka`
 * of a generated archive into the SASL_SSL Kafka of infra/local (`infra.sh up kafka-secure`: TLS with its own
 * CA, SCRAM users) → `lakehouse serve` from it → rows in ClickHouse, written by the user with a password. A
 * failing run with a wrong SASL password and an S3 secret prints neither.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Writable } from 'node:stream';
import { createClickHouseClient } from '../../connectors/clickhouse/config.js';
import { main } from '../../pipelines/cli.js';
import { resolveConfig } from '../../pipelines/config.js';
import { runServe, serveCommand } from '../../pipelines/serve.js';
import { generateArchiveMirror } from '../support/archive-mirror.js';
import { cliProcess, secureServicesEnv } from '../support/secure-services.js';
import { clickhouseService, registryService, s3Service } from '../support/services.js';
import { removeTempDirs, tempDir } from '../pipelines/backfill-support.js';

after(removeTempDirs);

const RUN = `${Date.now().toString(36)}${process.pid}`;

/** Runs the CLI as `lakehouse ARGV` with exactly `env`; captures stdout and stderr. */
async function cli(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  const parts: string[] = [];
  const capture = (): Writable => new Writable({ write(chunk, _e, cb) { parts.push(String(chunk)); cb(); } });
  const code = await main(argv, { env, stdout: capture(), stderr: capture(), signal: new AbortController().signal });
  return { code, output: parts.join('') };
}

async function servicesOrSkip(): Promise<{ secure: Record<string, string>; registry: string; clickhouse: string } | undefined> {
  const [secure, registry, clickhouse] = await Promise.all([secureServicesEnv(), registryService(), clickhouseService()]);
  if (secure === undefined || registry === undefined || clickhouse === undefined) return undefined;
  return { secure, registry: registry.url, clickhouse: clickhouse.url };
}

test('backfill → SASL_SSL Kafka → serve → ClickHouse with a password, credentials from the environment', async (t) => {
  const services = await servicesOrSkip();
  if (services === undefined) return t.skip('kafka-secure, the registry or ClickHouse not available');
  const env = { ...services.secure, SCHEMA_REGISTRY_URL: services.registry, CLICKHOUSE_URL: services.clickhouse };
  const prefix = `sec${RUN}.`;
  const database = `secure_${RUN}`;
  const symbol = `S${RUN}USDT`.toUpperCase();
  const dir = await tempDir('secure-archive');
  const [file] = await generateArchiveMirror(dir, { markets: ['spot'], symbols: [symbol], types: ['trades'], fromDay: '2025-07-01', toDay: '2025-07-01', eventsPerDay: 500 });
  assert.ok(file !== undefined);

  const backfill = await cli(['backfill', '--market', 'spot', '--symbols', symbol, '--types', 'trades', '--from', '2025-07-01',
    '--archive', dir, '--sink', 'kafka', '--topic-prefix', prefix, '--manifest', `${dir}/m.jsonl`], env);
  assert.equal(backfill.code, 0, backfill.output);

  const { config } = resolveConfig('serve', serveCommand.options, ['--topic-prefix', prefix, '--group-id', `secure-${RUN}`, '--sink', 'clickhouse', '--clickhouse-database', database], env);
  const client = await createClickHouseClient({ url: services.clickhouse, username: services.secure.LAKEHOUSE_CLICKHOUSE_USER, password: services.secure.LAKEHOUSE_CLICKHOUSE_PASSWORD });
  t.after(async () => { await client.command({ query: `DROP DATABASE IF EXISTS ${database}` }); await client.close(); });
  const stop = new AbortController();
  const deadline = setTimeout(() => stop.abort(), 90_000); // a hang becomes a failed assertion below
  // Stopped once every record was read and the idle flush wrote what the operators held back (the engine
  // commits only below what its state still needs, so a stop before that flush would leave rows for the next run).
  const report = await runServe(config, stop.signal, (r) => { if (r.records >= file.rows && r.flushes > 0) stop.abort(); });
  clearTimeout(deadline);
  assert.ok(report.records >= file.rows, `serve read ${report.records} of ${file.rows} records`); // an idle flush re-reads from the commits

  const rows = await (await client.query({ query: `SELECT toString(count()) AS n FROM ${database}.trades FINAL WHERE symbol = '${symbol}'`, format: 'JSONEachRow' })).json<{ n: string }>();
  assert.equal(rows[0]?.n, String(file.rows));
});

test('a wrong SASL password fails the run, and neither it nor the S3 secret appears in any output', async (t) => {
  const services = await servicesOrSkip();
  const s3 = await s3Service();
  if (services === undefined || s3 === undefined) return t.skip('kafka-secure, the registry, ClickHouse or S3 not available');
  const saslSecret = `sasl-${RUN}-never-printed`;
  const s3Secret = `s3-${RUN}-never-printed`;
  const env = {
    ...services.secure, LAKEHOUSE_KAFKA_PASSWORD: saslSecret, SCHEMA_REGISTRY_URL: services.registry,
    S3_ENDPOINT: s3.endpoint, AWS_REGION: s3.region, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3Secret,
  };
  const dir = await tempDir('secure-fail');
  const symbol = `F${RUN}USDT`.toUpperCase();
  await generateArchiveMirror(dir, { markets: ['spot'], symbols: [symbol], types: ['trades'], fromDay: '2025-07-01', toDay: '2025-07-01', eventsPerDay: 50 });
  const request = ['--market', 'spot', '--symbols', symbol, '--types', 'trades', '--from', '2025-07-01', '--manifest', `${dir}/m.jsonl`];
  const runs = await Promise.all([
    cliProcess(['backfill', ...request, '--archive', dir, '--sink', 'kafka', '--topic-prefix', `fail${RUN}.`], env),
    cliProcess(['backfill', ...request, '--archive', `s3://lakehouse-missing-${RUN}/archive`], env),
    cliProcess(['backfill', ...request, '--archive', dir, '--sink', 'parquet', '--lake', `s3://lakehouse-missing-${RUN}/lake`], env),
    cliProcess(['serve', '--topics', `fail${RUN}.md.binance.spot.trades`, '--sink', 'parquet', '--lake', `s3://lakehouse-missing-${RUN}/lake`], env),
  ]);
  for (const run of runs) {
    assert.notEqual(run.code, 0, run.output);
    assert.match(run.output, /fail|FAIL|Error/); // the run says why it failed
    assert.ok(!run.output.includes(saslSecret), `the SASL password was printed:\n${run.output}`);
    assert.ok(!run.output.includes(s3Secret), `the S3 secret was printed:\n${run.output}`);
  }
});
