/**
 * Kafka and the schema registry are real: a record of every kind is Avro-encoded with its schema registered in
 * the registry, produced by `toKafka` (idempotent producer) and consumed back by a `fromKafka` consumer group,
 * equal to the original. Topics carry a per-run prefix so runs never see each other's data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstValueFrom, from, toArray } from 'rxjs';
import { fromKafka, type FromKafkaOptions, type KafkaBatch } from '../../connectors/kafka/from-kafka.js';
import { toKafka } from '../../connectors/kafka/to-kafka.js';
import { topicFor } from '../../connectors/kafka/topic-for.js';
import { createKafka } from '../../connectors/kafka/config.js';
import { kafkajsFastPaths } from '../../connectors/kafka/kafkajs.js';
import { valueSubjectOf } from '../../connectors/kafka/avro-serde.js';
import type { RecordBatch } from '../../connectors/sink.js';
import { KIND_NAMES, type AnyRecord } from '../../schemas/records.js';
import { kafkaService, registryService } from '../support/services.js';
import { sampleRecord } from '../support/sample-records.js';

const RUN = `it${Date.now().toString(36)}${process.pid}`;

/** Collects batches until `count` records arrived; commits each batch when `commit` is true. */
function consume(options: FromKafkaOptions, count: number, commit: boolean): Promise<KafkaBatch[]> {
  return new Promise((resolve, reject) => {
    const batches: KafkaBatch[] = [];
    let seen = 0;
    const subscription = fromKafka(options).subscribe({
      next: (batch) => {
        batches.push(batch);
        seen += batch.records.length;
        const committed = commit ? batch.commit() : Promise.resolve();
        committed.then(() => { if (seen >= count) { subscription.unsubscribe(); resolve(batches); } }, reject);
      },
      error: reject,
    });
  });
}

const key = (r: AnyRecord): string => `${r.kind}|${r.ingestId}`;

test('a record of every kind goes through the registry and Kafka and comes back equal', { timeout: 180_000 }, async (t) => {
  const [kafka, registry] = await Promise.all([kafkaService(), registryService()]);
  if (kafka === undefined || registry === undefined) { t.skip('Kafka or Schema Registry not configured'); return; }
  const records = KIND_NAMES.flatMap((kind) => [sampleRecord(kind, 0, 0), sampleRecord(kind, 1, 1)]) as AnyRecord[];
  const topicOf = (record: AnyRecord): string => `${RUN}.${topicFor(record)}`;
  const batches: RecordBatch[] = KIND_NAMES.map((kind) => ({ kind, unitId: `${RUN}-${kind}`, records: records.filter((r) => r.kind === kind) }));
  const before = { ...kafkajsFastPaths };
  const acks = await firstValueFrom(from(batches).pipe(toKafka({ kafka, registry, topicOf, partitions: 2 }), toArray()));
  assert.deepEqual(acks.map((a) => a.rows), batches.map((b) => b.records.length));
  // The records went through the kafkajs fast paths (connectors/kafka/kafkajs.ts), and read back equal below.
  assert.ok(kafkajsFastPaths.groupings > before.groupings);
  // At least once each: kafkajs encodes a request again when it retries it (e.g. a new topic's leader not ready yet).
  assert.ok(kafkajsFastPaths.recordsEncoded - before.recordsEncoded >= records.length);

  const topics = [...new Set(records.map(topicOf))];
  await t.test('each topic\'s subject holds the kind\'s schema with BACKWARD compatibility', async () => {
    for (const topic of topics) {
      const subject = encodeURIComponent(valueSubjectOf(topic));
      const latest = await fetch(`${registry.url}/subjects/${subject}/versions/latest`).then((r) => r.json()) as { schema: string };
      assert.equal((JSON.parse(latest.schema) as { type: string }).type, 'record', topic);
      const config = await fetch(`${registry.url}/config/${subject}`).then((r) => r.json()) as { compatibilityLevel?: string; compatibility?: string };
      assert.equal(config.compatibilityLevel ?? config.compatibility, 'BACKWARD', topic);
    }
  });

  await t.test('a consumer group reads every record back, deep-equal to the original', async () => {
    const got = await consume({ kafka, registry, topics, groupId: `${RUN}-all`, lineage: 'original', partitionsConcurrently: 2 }, records.length, true);
    const back = got.flatMap((b) => b.records);
    assert.equal(back.length, records.length);
    assert.deepEqual([...back].sort((a, b) => key(a).localeCompare(key(b))), [...records].sort((a, b) => key(a).localeCompare(key(b))));
  });

  await t.test('kafka lineage replaces ingestId with topic/partition/offset', async () => {
    const topic = topicOf(records[0]);
    const [batch] = await consume({ kafka, registry, topics: [topic], groupId: `${RUN}-lineage` }, 1, true);
    for (const record of batch.records) assert.match(record.ingestId, new RegExp(`^${topic.replace(/\./g, '\\.')}/${batch.partition}/\\d+$`));
  });

  await t.test('taking the first batch (unsubscribing inside next) completes and releases the consumer', async () => {
    const batch = await firstValueFrom(fromKafka({ kafka, registry, topics: [topicOf(records[0])], groupId: `${RUN}-first` }));
    assert.ok(batch.records.length > 0);
  });

  await t.test('a value that is not registered Avro arrives as a dead letter carrying the raw bytes', async () => {
    const topic = `${RUN}.md.binance.spot.aggTrades`;
    const producer = createKafka(kafka).producer();
    await producer.connect();
    try {
      await producer.send({ topic, messages: [{ key: 'BTCUSDT', value: Buffer.from('not avro') }] });
    } finally {
      await producer.disconnect();
    }
    const got = (await consume({ kafka, registry, topics: [topic], groupId: `${RUN}-dlq` }, 1, true)).flatMap((b) => b.records);
    const letters = got.filter((r) => r.kind === 'deadLetter');
    assert.equal(letters.length, 1);
    assert.equal(letters[0].kind === 'deadLetter' && letters[0].raw, Buffer.from('not avro').toString('base64'));
    assert.match(letters[0].ingestId, new RegExp(`^${topic.replace(/\./g, '\\.')}/\\d+/\\d+$`));
  });

  await t.test('an uncommitted batch is delivered again to the next member of the group', async () => {
    const topic = topicOf(records[0]);
    const onTopic = records.filter((r) => topicOf(r) === topic).length;
    const groupId = `${RUN}-redeliver`;
    const first = await consume({ kafka, registry, topics: [topic], groupId, lineage: 'original' }, onTopic, false);
    const second = await consume({ kafka, registry, topics: [topic], groupId, lineage: 'original' }, onTopic, true);
    assert.ok(first.length > 0);
    assert.deepEqual(second.flatMap((b) => b.records).map(key).sort(), first.flatMap((b) => b.records).map(key).sort());
  });
});
