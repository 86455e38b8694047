/**
 * `lakehouse serve` end to end on real services: records produced to Kafka (Avro) are consumed by the serving
 * consumer group into ClickHouse and the Parquet lake, invalid ones land as dead letters, and the group's offsets
 * are committed only after the sinks acknowledged (so they end at the topic's high watermark).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { firstValueFrom, of, toArray } from 'rxjs';
import { createClickHouseClient } from '../../connectors/clickhouse/config.js';
import { createKafka } from '../../connectors/kafka/config.js';
import { toKafka } from '../../connectors/kafka/to-kafka.js';
import { topicFor } from '../../connectors/kafka/topic-for.js';
import { queryLake } from '../../connectors/parquet/query-lake.js';
import { resolveConfig } from '../../pipelines/config.js';
import { runServe, serveCommand } from '../../pipelines/serve.js';
import type { TradeRecord } from '../../schemas/records.js';
import { sampleRecord } from '../support/sample-records.js';
import { clickhouseService, kafkaService, registryService } from '../support/services.js';

const RUN = `serve${Date.now().toString(36)}${process.pid}`;

test('serve consumes Kafka into ClickHouse and the lake and commits after the sinks acknowledged', async (t) => {
  const [kafka, registry, clickhouse] = await Promise.all([kafkaService(), registryService(), clickhouseService()]);
  if (kafka === undefined || registry === undefined || clickhouse === undefined) return t.skip('services not configured');
  const lake = mkdtempSync(join(tmpdir(), 'serve-lake-'));
  t.after(() => rmSync(lake, { recursive: true, force: true }));
  const symbol = `S${RUN}`.toUpperCase();
  const trades: TradeRecord[] = [0, 1, 2, 3, 4].map((i) => ({ ...sampleRecord('trade', i), market: 'spot' as const, symbol, tradeId: 1000 + i, price: 100 + i, qty: 1, quoteQty: 100 + i, contracts: null, baseQty: null, isBestMatch: true }));
  const invalid: TradeRecord = { ...trades[0], tradeId: 2000, price: -5 }; // a negative price is rejected by validate
  const topicOf = (r: { kind: string }): string => `${RUN}.${topicFor(r as TradeRecord)}`;
  await firstValueFrom(of({ kind: 'trade' as const, unitId: `${RUN}#0`, records: [...trades, invalid] })
    .pipe(toKafka({ kafka, registry, topicOf, partitions: 1 }), toArray()));
  const topic = topicOf(trades[0]);

  const argv = ['--topics', topic, '--group-id', `${RUN}-group`, '--lake', lake, '--sink', 'clickhouse,parquet'];
  const env = { KAFKA_BROKERS: kafka.brokers.join(','), SCHEMA_REGISTRY_URL: registry.url, CLICKHOUSE_URL: clickhouse.url, CLICKHOUSE_USER: clickhouse.username, CLICKHOUSE_PASSWORD: clickhouse.password };
  const { config } = resolveConfig('serve', serveCommand.options, argv, env);
  const stop = new AbortController();
  const deadline = setTimeout(() => stop.abort(), 60_000); // a hang becomes a failed assertion below
  const report = await runServe(config, stop.signal, (r) => { if (r.records >= 6) stop.abort(); });
  clearTimeout(deadline);
  assert.equal(report.records, 6);
  assert.equal(report.rejected, 1);

  const client = await createClickHouseClient({ url: clickhouse.url, username: clickhouse.username, password: clickhouse.password });
  t.after(() => client.close());
  const rows = await (await client.query({ query: `SELECT toString(tradeId) AS id FROM lakehouse.trades FINAL WHERE symbol = '${symbol}' ORDER BY tradeId`, format: 'JSONEachRow' })).json<{ id: string }>();
  assert.deepEqual(rows.map((r) => Number(r.id)), [1000, 1001, 1002, 1003, 1004]);
  const dead = await (await client.query({ query: `SELECT count() AS n FROM lakehouse.dead_letters WHERE symbol = '${symbol}'`, format: 'JSONEachRow' })).json<{ n: string }>();
  assert.equal(Number(dead[0].n), 1);

  const lakeRows = await queryLake({ root: lake, sql: `SELECT count(*) AS n FROM trades WHERE symbol = '${symbol}'` });
  assert.equal(Number(lakeRows[0].n), 5);

  const admin = createKafka({ brokers: kafka.brokers }).admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  const [committed] = await admin.fetchOffsets({ groupId: `${RUN}-group`, topics: [topic] });
  const [high] = await admin.fetchTopicOffsets(topic);
  assert.equal(committed.partitions[0].offset, high.high);
});
