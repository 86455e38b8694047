/**
 * `lakehouse serve` end to end on real services: records produced to Kafka (Avro) are consumed by the serving
 * consumer group through the operator chain into ClickHouse and the Parquet lake (the tail the operators hold
 * back is written when the input goes idle), invalid ones land as dead letters, and a second run of the group
 * re-reads what the state still needed without adding a row.
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
  // Two values no serde can read: bytes without the Avro framing, and a framed value of an unknown schema id.
  const producer = createKafka({ brokers: kafka.brokers }).producer();
  await producer.connect();
  const unknownSchema = Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0]), Buffer.from('body')]);
  await producer.send({ topic, messages: [{ key: symbol, value: Buffer.from('not avro') }, { key: symbol, value: unknownSchema }] });
  await producer.disconnect();

  const argv = ['--topics', topic, '--group-id', `${RUN}-group`, '--lake', lake, '--sink', 'clickhouse,parquet'];
  const env = { KAFKA_BROKERS: kafka.brokers.join(','), SCHEMA_REGISTRY_URL: registry.url, CLICKHOUSE_URL: clickhouse.url, CLICKHOUSE_USER: clickhouse.username, CLICKHOUSE_PASSWORD: clickhouse.password };
  const { config } = resolveConfig('serve', serveCommand.options, argv, env);
  const client = await createClickHouseClient({ url: clickhouse.url, username: clickhouse.username, password: clickhouse.password });
  t.after(() => client.close());
  const count = async (sql: string): Promise<number> => Number((await (await client.query({ query: sql, format: 'JSONEachRow' })).json<{ n: string }>())[0].n);
  const serveUntil = async (done: () => Promise<boolean>): Promise<Awaited<ReturnType<typeof runServe>>> => {
    const stop = new AbortController();
    const deadline = setTimeout(() => stop.abort(), 60_000); // a hang becomes a failed assertion below
    const poll = setInterval(() => { void done().then((yes) => { if (yes) stop.abort(); }, () => undefined); }, 500);
    try {
      return await runServe(config, stop.signal);
    } finally {
      clearTimeout(deadline);
      clearInterval(poll);
    }
  };
  const tradesIn = `SELECT count() AS n FROM lakehouse.trades FINAL WHERE symbol = '${symbol}'`;
  const report = await serveUntil(async () => await count(tradesIn) === 5 && await count(`SELECT count() AS n FROM lakehouse.dead_letters WHERE symbol = '${symbol}'`) === 3);
  assert.equal(report.records, 8);
  assert.equal(report.deadLetters, 3);
  assert.ok(report.flushes >= 1);

  const rows = await (await client.query({ query: `SELECT toString(tradeId) AS id FROM lakehouse.trades FINAL WHERE symbol = '${symbol}' ORDER BY tradeId`, format: 'JSONEachRow' })).json<{ id: string }>();
  assert.deepEqual(rows.map((r) => Number(r.id)), [1000, 1001, 1002, 1003, 1004]);
  assert.equal(await count(`SELECT count() AS n FROM lakehouse.dead_letters WHERE symbol = '${symbol}'`), 3);
  // The undecodable ones name where they are: topic/partition/offset (offsets 6 and 7, after the six records).
  const undecodable = await (await client.query({ query: `SELECT ingestId, errorName FROM lakehouse.dead_letters WHERE symbol = '${symbol}' AND errorName = 'DecodeError' ORDER BY ingestId`, format: 'JSONEachRow' })).json<{ ingestId: string }>();
  assert.deepEqual(undecodable.map((r) => r.ingestId), [`${topic}/0/6`, `${topic}/0/7`]);
  const bars = await (await client.query({ query: `SELECT toString(tradeCount) AS n, isClosed AS c FROM lakehouse.klines FINAL WHERE symbol = '${symbol}' AND source = 'resample' AND \`interval\` = '1m' ORDER BY openTimeUs`, format: 'JSONEachRow' })).json<{ n: string; c: number }>();
  // Every trade in one bar; the last window never closed (nothing came after it): the idle flush wrote it provisional.
  assert.equal(bars.reduce((sum, b) => sum + Number(b.n), 0), 5);
  assert.equal(Number(bars.at(-1)?.c), 0);

  const lakeRows = await queryLake({ root: lake, sql: `SELECT count(*) AS n FROM trades WHERE symbol = '${symbol}'` });
  assert.ok(Number(lakeRows[0].n) >= 5);

  // A second run of the group re-reads what the first one's state still needed: no new row, no lost one.
  const again = await serveUntil(async () => true);
  assert.equal(again.deadLetters <= 1, true);
  assert.equal(await count(tradesIn), 5);
  assert.equal(await count(`SELECT count() AS n FROM lakehouse.trades WHERE symbol = '${symbol}' AND tradeId >= 1000`) >= 5, true);
});
