/**
 * The Kafka sink on a worker thread against the real broker and registry: batches of every kind go through
 * `toKafkaInWorker` (topic prefix, acks in order) and a consumer group reads the same records back; a broker
 * that cannot be reached surfaces as an error of the operator, and the worker does not keep the process alive.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { firstValueFrom, from, lastValueFrom, toArray } from 'rxjs';
import { fromKafka } from '../../connectors/kafka/from-kafka.js';
import { toKafkaInWorker } from '../../connectors/kafka/to-kafka-worker.js';
import { topicFor } from '../../connectors/kafka/topic-for.js';
import type { RecordBatch } from '../../connectors/sink.js';
import { KIND_NAMES, type AnyRecord } from '../../schemas/records.js';
import { kafkaService, registryService } from '../support/services.js';
import { sampleRecord } from '../support/sample-records.js';

const RUN = `itw${Date.now().toString(36)}${process.pid}.`;
const key = (r: AnyRecord): string => `${r.kind}|${r.ingestId}|${r.eventTimeUs}`;

test('toKafkaInWorker writes every kind with acks in order, and a consumer reads the records back equal', { timeout: 180_000 }, async (t) => {
  const [kafka, registry] = await Promise.all([kafkaService(), registryService()]);
  if (kafka === undefined || registry === undefined) { t.skip('Kafka or Schema Registry not configured'); return; }
  const records = KIND_NAMES.flatMap((kind) => [0, 1, 2].map((i) => sampleRecord(kind, i, i))) as AnyRecord[];
  const batches: RecordBatch[] = KIND_NAMES.flatMap((kind) => [0, 1].map((part) => ({
    kind, unitId: `${RUN}${kind}#${part}`, records: records.filter((r) => r.kind === kind).slice(part === 0 ? 0 : 2, part === 0 ? 2 : 3),
  })));
  const sentAtMs = performance.timeOrigin + performance.now();
  const acks = await firstValueFrom(from(batches).pipe(toKafkaInWorker({ kafka, registry, topicPrefix: RUN, partitions: 2 }), toArray()));
  const doneAtMs = performance.timeOrigin + performance.now();
  assert.deepEqual(acks.map((a) => [a.unitId, a.rows]), batches.map((b) => [b.unitId, b.records.length]));
  // Stamped on the worker's thread, on the clock this thread shares, between the send and the last ack here.
  for (const a of acks) assert.ok(a.ackedAtMs !== undefined && a.ackedAtMs >= sentAtMs && a.ackedAtMs <= doneAtMs, `ack ${a.unitId} stamped ${a.ackedAtMs}, outside ${sentAtMs}..${doneAtMs}`);

  const topics = [...new Set(records.map((r) => `${RUN}${topicFor(r)}`))];
  const back = await new Promise<AnyRecord[]>((resolve, reject) => {
    const got: AnyRecord[] = [];
    const subscription = fromKafka({ kafka, registry, topics, groupId: `${RUN}group`, lineage: 'original', partitionsConcurrently: 2 }).subscribe({
      next: (batch) => {
        got.push(...batch.records);
        void batch.commit().then(() => { if (got.length >= records.length) { subscription.unsubscribe(); resolve(got); } }, reject);
      },
      error: reject,
    });
  });
  assert.deepEqual([...back].sort((a, b) => key(a).localeCompare(key(b))), [...records].sort((a, b) => key(a).localeCompare(key(b))));
});

test('a broker that does not answer fails the worker sink with a SinkWriteError instead of hanging', { timeout: 120_000 }, async (t) => {
  const registry = await registryService();
  if (registry === undefined) { t.skip('Schema Registry not configured'); return; }
  const batch: RecordBatch = { kind: 'trade', unitId: `${RUN}dead#0`, records: [sampleRecord('trade', 0, 0)] };
  const sink = toKafkaInWorker({ kafka: { brokers: ['127.0.0.1:1'], connectionTimeoutMs: 200 }, registry, topicPrefix: RUN, retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 } });
  await assert.rejects(lastValueFrom(from([batch]).pipe(sink)), (error: Error) => error.name === 'SinkWriteError' || error.name === 'ConnectorError');
});
