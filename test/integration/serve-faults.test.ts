/**
 * `serve` when ClickHouse goes away mid-run: through a TCP proxy that is shut (every connection cut, new ones
 * refused) for a while and opened again, serve retries, starts its session again from the commits, and in the
 * end ClickHouse `FINAL` holds every trade once and every bar complete. Stopping it while ClickHouse is
 * unreachable ends the run (in-flight writes are given up, nothing more is committed).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { from, lastValueFrom, toArray } from 'rxjs';
import { toKafka } from '../../connectors/kafka/to-kafka.js';
import { topicFor } from '../../connectors/kafka/topic-for.js';
import { resolveConfig } from '../../pipelines/config.js';
import { SERVE_OPTIONS } from '../../pipelines/serve-options.js';
import { runServe } from '../../pipelines/serve.js';
import { makeVersion, type AnyRecord } from '../../schemas/index.js';
import { DAY_US, trade } from '../operators/support.js';
import { clickhouseService, kafkaService, registryService } from '../support/services.js';
import { clickhouseScalar } from './serve-support.js';
import { TcpProxy } from './tcp-proxy.js';

const RUN = `sf${Date.now().toString(36)}${process.pid}`;
const TOTAL = 100_000;

test('ClickHouse unreachable mid-run: serve waits, resumes, and nothing is lost or doubled', { timeout: 300_000 }, async (t) => {
  const [kafka, registry, clickhouse] = await Promise.all([kafkaService(), registryService(), clickhouseService()]);
  if (kafka === undefined || registry === undefined || clickhouse === undefined) return t.skip('services not configured');
  const database = `${RUN}_db`;
  const records: AnyRecord[] = [];
  for (let i = 0; i < TOTAL; i++) records.push(trade(i + 1, DAY_US + i * 10_000, { symbol: 'FAULTUSDT', source: 'ws', version: makeVersion('ws', 1_000), ingestId: 'ws' }));
  const chunks = Array.from({ length: TOTAL / 10_000 }, (_, i) => ({ kind: 'trade' as const, unitId: `${RUN}#${i}`, records: records.slice(i * 10_000, (i + 1) * 10_000) }));
  await lastValueFrom(from(chunks).pipe(toKafka({ kafka, registry, topicOf: (r) => `${RUN}.${topicFor(r)}`, partitions: 1 }), toArray()));

  const proxy = new TcpProxy(new URL(clickhouse.url));
  await proxy.open();
  t.after(() => proxy.shut());
  const scalar = await clickhouseScalar(t, clickhouse, database);
  const argv = ['--group-id', `${RUN}-group`, '--topic-prefix', `${RUN}.`, '--sink', 'clickhouse', '--clickhouse-database', database,
    '--intervals', '1m', '--idle-flush', '1s', '--max-in-flight', '1', '--clickhouse-url', `http://127.0.0.1:${proxy.port}`,
    '--clickhouse-user', clickhouse.username, '--clickhouse-password', clickhouse.password,
    '--kafka-brokers', kafka.brokers.join(','), '--schema-registry-url', registry.url];
  const { config } = resolveConfig('serve', SERVE_OPTIONS, argv, {});
  const stop = new AbortController();
  let restarts = 0;
  const serving = runServe(config, stop.signal, undefined, () => { restarts++; });
  const rows = `SELECT count() AS n FROM ${database}.trades`;
  while (await scalar(rows) < TOTAL / 5) await new Promise((resolve) => setTimeout(resolve, 100));
  proxy.shut();
  while (restarts === 0) await new Promise((resolve) => setTimeout(resolve, 100)); // a session failed on the dead server
  await proxy.open();
  const finalRows = `SELECT count() AS n FROM ${database}.trades FINAL`;
  const barTrades = `SELECT sum(tradeCount) AS n FROM ${database}.klines FINAL WHERE source = 'resample'`;
  while (await scalar(finalRows) !== TOTAL || await scalar(barTrades) !== TOTAL) await new Promise((resolve) => setTimeout(resolve, 200));

  // Stopping while ClickHouse is unreachable ends the run too.
  proxy.shut();
  stop.abort();
  const report = await serving;
  assert.ok(report.restarts >= 1);
  assert.equal(await scalar(`SELECT uniqExact(tradeId) AS n FROM ${database}.trades`), TOTAL);
  assert.equal(await scalar(`SELECT count() AS n FROM ${database}.klines FINAL WHERE source = 'resample' AND \`interval\` = '1m'`), Math.ceil(TOTAL * 10_000 / 60_000_000));
});
