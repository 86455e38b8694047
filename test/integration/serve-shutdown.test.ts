/**
 * SIGTERM stops `lakehouse serve` with status 0 within the stop grace (10 s; past it the process would end with
 * 143) also while ClickHouse is unreachable: refusing connections, accepting them and never answering, or going
 * silent mid-run with writes in flight. What could not be written is not committed: a later run with ClickHouse
 * back ends with every trade once in `FINAL` and the bars complete. (Kafka that never answers: see
 * test/pipelines/signals.test.ts.)
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { from, lastValueFrom, toArray } from 'rxjs';
import { toKafka } from '../../connectors/kafka/to-kafka.js';
import { topicFor } from '../../connectors/kafka/topic-for.js';
import { makeVersion, type AnyRecord } from '../../schemas/index.js';
import { DAY_US, trade } from '../operators/support.js';
import { REPO_ROOT } from '../support/fixtures.js';
import { clickhouseService, kafkaService, registryService, type ClickHouseEndpoint, type KafkaEndpoint, type RegistryEndpoint } from '../support/services.js';
import { serveUntil } from './lambda-support.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { clickhouseScalar, committedOffset } from './serve-support.js';

const RUN = `ss${Date.now().toString(36)}${process.pid}`;
const TOTAL = 20_000;

interface Services { kafka: KafkaEndpoint; registry: RegistryEndpoint; clickhouse: ClickHouseEndpoint }

let produced: Promise<void> | undefined;
/** The services (the run's trades produced once), or undefined after skipping `t`. */
async function servicesOrSkip(t: TestContext): Promise<Services | undefined> {
  const [kafka, registry, clickhouse] = await Promise.all([kafkaService(), registryService(), clickhouseService()]);
  if (kafka === undefined || registry === undefined || clickhouse === undefined) { t.skip('services not configured'); return undefined; }
  produced ??= (async () => {
    const records: AnyRecord[] = [];
    for (let i = 0; i < TOTAL; i++) records.push(trade(i + 1, DAY_US + i * 10_000, { symbol: 'STOPUSDT', source: 'ws', version: makeVersion('ws', 1_000), ingestId: 'ws' }));
    const chunks = Array.from({ length: TOTAL / 5_000 }, (_, i) => ({ kind: 'trade' as const, unitId: `${RUN}#${i}`, records: records.slice(i * 5_000, (i + 1) * 5_000) }));
    await lastValueFrom(from(chunks).pipe(toKafka({ kafka, registry, topicOf: (r) => `${RUN}.${topicFor(r)}`, partitions: 1 }), toArray()));
  })();
  await produced;
  return { kafka, registry, clickhouse };
}

/** A `lakehouse serve` child process of group `group` writing to `database` on ClickHouse at `url`. */
function startServe(t: TestContext, { kafka, registry, clickhouse }: Services, group: string, database: string, url: string): { exited: Promise<number | null>; stderr: () => string; stop: () => void } {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'lakehouse.mjs'), 'serve',
    '--group-id', group, '--topic-prefix', `${RUN}.`, '--sink', 'clickhouse', '--clickhouse-database', database, '--intervals', '1m',
    '--idle-flush', '1s', '--clickhouse-url', url, '--clickhouse-user', clickhouse.username, '--clickhouse-password', clickhouse.password,
    '--kafka-brokers', kafka.brokers.join(','), '--schema-registry-url', registry.url], { stdio: ['ignore', 'ignore', 'pipe'] }); // the default stop grace: 10 s
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += String(chunk); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.after(() => child.kill('SIGKILL'));
  return { exited, stderr: () => stderr, stop: () => child.kill('SIGTERM') };
}

/** Polls `condition` until it holds; fails when the process exited first. */
async function until(condition: () => boolean | Promise<boolean>, exited: Promise<number | null>, what: string): Promise<void> {
  let status: number | null | undefined;
  void exited.then((s) => { status = s; });
  while (!await condition()) {
    if (status !== undefined) assert.fail(`serve exited with ${status} before ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The group's committed offset of the run's trades ('-1': none). */
const committed = (kafka: KafkaEndpoint, group: string): Promise<string> => committedOffset(kafka, group, `${RUN}.md.binance.spot.trades`);

test('SIGTERM while ClickHouse refuses connections: exit 0, nothing committed', { timeout: 120_000 }, async (t) => {
  const services = await servicesOrSkip(t);
  if (services === undefined) return;
  const proxy = new TcpProxy(new URL(services.clickhouse.url));
  await proxy.open();
  proxy.shut(); // its port now refuses
  const serve = startServe(t, services, `${RUN}-refused`, `${RUN}_refused`, `http://127.0.0.1:${proxy.port}`);
  await until(() => serve.stderr().includes('serve session failed'), serve.exited, 'a session failed');
  serve.stop();
  assert.equal(await serve.exited, 0, serve.stderr());
  assert.equal(await committed(services.kafka, `${RUN}-refused`), '-1');
});

test('SIGTERM while ClickHouse accepts connections and never answers: exit 0, nothing committed', { timeout: 120_000 }, async (t) => {
  const services = await servicesOrSkip(t);
  if (services === undefined) return;
  const proxy = new TcpProxy(new URL(services.clickhouse.url));
  await proxy.open();
  proxy.freeze();
  t.after(() => proxy.shut());
  const serve = startServe(t, services, `${RUN}-silent`, `${RUN}_silent`, `http://127.0.0.1:${proxy.port}`);
  await until(() => proxy.connections > 0, serve.exited, 'it connected');
  await new Promise((resolve) => setTimeout(resolve, 1000)); // waiting on the answer now
  serve.stop();
  assert.equal(await serve.exited, 0, serve.stderr());
  assert.equal(await committed(services.kafka, `${RUN}-silent`), '-1');
});

test('SIGTERM while ClickHouse stopped answering mid-run with writes in flight: exit 0, and a later run loses nothing', { timeout: 180_000 }, async (t) => {
  const services = await servicesOrSkip(t);
  if (services === undefined) return;
  const database = `${RUN}_midrun`;
  const group = `${RUN}-midrun`;
  const scalar = await clickhouseScalar(t, services.clickhouse, database);
  const proxy = new TcpProxy(new URL(services.clickhouse.url));
  await proxy.open();
  t.after(() => proxy.shut());
  const first = startServe(t, services, group, database, `http://127.0.0.1:${proxy.port}`);
  await until(async () => await scalar(`SELECT count() AS n FROM ${database}.trades`) >= TOTAL / 5, first.exited, 'a fifth of the trades landed');
  proxy.freeze();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  first.stop();
  assert.equal(await first.exited, 0, first.stderr());
  assert.ok(await scalar(`SELECT count() AS n FROM ${database}.trades`) < TOTAL, 'stopped before it wrote everything');

  // Again with ClickHouse reachable (in this process): what the first run could not write was not committed.
  const { kafka, registry, clickhouse } = services;
  const complete = async (): Promise<boolean> => await scalar(`SELECT count() AS n FROM ${database}.trades FINAL`) === TOTAL
    && await scalar(`SELECT sum(tradeCount) AS n FROM ${database}.klines FINAL WHERE source = 'resample'`) === TOTAL;
  await serveUntil(['--group-id', group, '--topic-prefix', `${RUN}.`, '--sink', 'clickhouse', '--clickhouse-database', database, '--intervals', '1m', '--idle-flush', '1s'],
    { KAFKA_BROKERS: kafka.brokers.join(','), SCHEMA_REGISTRY_URL: registry.url, CLICKHOUSE_URL: clickhouse.url, CLICKHOUSE_USER: clickhouse.username, CLICKHOUSE_PASSWORD: clickhouse.password },
    complete);
  assert.equal(await complete(), true);
  assert.equal(await scalar(`SELECT uniqExact(tradeId) AS n FROM ${database}.trades`), TOTAL);
});
