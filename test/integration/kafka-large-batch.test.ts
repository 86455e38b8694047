/**
 * A RecordBatch far above the broker's message size limit (default `max.message.bytes` ≈ 1 MB per record
 * batch) still goes to Kafka: `toKafka` splits it into requests of bounded size per partition, and a consumer
 * reads every record back exactly once and, per symbol, in the order of the batch. Real Kafka and registry,
 * per-run topic prefix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstValueFrom, from, toArray } from 'rxjs';
import { fromKafka, type FromKafkaOptions } from '../../connectors/kafka/from-kafka.js';
import { toKafka } from '../../connectors/kafka/to-kafka.js';
import { topicFor } from '../../connectors/kafka/topic-for.js';
import type { AnyRecord, TradeRecord } from '../../schemas/records.js';
import { kafkaService, registryService } from '../support/services.js';
import { sampleRecord } from '../support/sample-records.js';

const RUN = `itbig${Date.now().toString(36)}${process.pid}`;
const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];

/** `count` trades round-robin over SYMBOLS; trade ids increase by one per symbol. */
function trades(count: number): TradeRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    ...sampleRecord('trade', i, 0), market: 'spot' as const, symbol: SYMBOLS[i % SYMBOLS.length], tradeId: 1_000_000 + Math.floor(i / SYMBOLS.length), ingestId: `big/${i}`,
  }));
}

/** Reads `count` records from `options`' topics, committing each batch. */
function consume(options: FromKafkaOptions, count: number): Promise<AnyRecord[]> {
  return new Promise((resolve, reject) => {
    const records: AnyRecord[] = [];
    const subscription = fromKafka(options).subscribe({
      next: (batch) => {
        records.push(...batch.records);
        batch.commit().then(() => { if (records.length >= count) { subscription.unsubscribe(); resolve(records); } }, reject);
      },
      error: reject,
    });
  });
}

test('a 20,000-row batch above the broker message size limit is produced completely and in order per symbol', { timeout: 180_000 }, async (t) => {
  const [kafka, registry] = await Promise.all([kafkaService(), registryService()]);
  if (kafka === undefined || registry === undefined) { t.skip('Kafka or Schema Registry not configured'); return; }
  const records = trades(20_000);
  const topicOf = (record: AnyRecord): string => `${RUN}.${topicFor(record)}`;
  const acks = await firstValueFrom(from([{ kind: 'trade' as const, unitId: `${RUN}#0`, records }]).pipe(toKafka({ kafka, registry, topicOf, partitions: 2 }), toArray()));
  assert.deepEqual(acks.map((a) => a.rows), [records.length]);

  const back = await consume({ kafka, registry, topics: [topicOf(records[0])], groupId: `${RUN}-g`, lineage: 'original', partitionsConcurrently: 2 }, records.length);
  assert.equal(back.length, records.length);
  assert.equal(new Set(back.map((r) => r.ingestId)).size, records.length);
  for (const symbol of SYMBOLS) {
    const ids = back.filter((r) => r.symbol === symbol).map((r) => (r as TradeRecord).tradeId);
    assert.deepEqual(ids, records.filter((r) => r.symbol === symbol).map((r) => r.tradeId), symbol);
  }
});

test('many small batches waiting at once are acknowledged one by one in input order and arrive in order per symbol', { timeout: 180_000 }, async (t) => {
  const [kafka, registry] = await Promise.all([kafkaService(), registryService()]);
  if (kafka === undefined || registry === undefined) { t.skip('Kafka or Schema Registry not configured'); return; }
  const records = trades(15_000);
  const batches = Array.from({ length: 300 }, (_, i) => ({ kind: 'trade' as const, unitId: `${RUN}-small#${i}`, records: records.slice(i * 50, i * 50 + 50) }));
  const topicOf = (record: AnyRecord): string => `${RUN}.small.${topicFor(record)}`;
  const acks = await firstValueFrom(from(batches).pipe(toKafka({ kafka, registry, topicOf, partitions: 2, maxRequestMessages: 700 }), toArray()));
  assert.deepEqual(acks.map((a) => [a.unitId, a.rows]), batches.map((b) => [b.unitId, 50]));

  const back = await consume({ kafka, registry, topics: [topicOf(records[0])], groupId: `${RUN}-small`, lineage: 'original', partitionsConcurrently: 2 }, records.length);
  assert.equal(back.length, records.length);
  assert.equal(new Set(back.map((r) => r.ingestId)).size, records.length);
  for (const symbol of SYMBOLS) {
    const ids = back.filter((r) => r.symbol === symbol).map((r) => (r as TradeRecord).tradeId);
    assert.deepEqual(ids, records.filter((r) => r.symbol === symbol).map((r) => r.tradeId), symbol);
  }
});
