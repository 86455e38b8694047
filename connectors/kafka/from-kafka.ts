/**
 * The Kafka source: a consumer-group member that emits one {@link KafkaBatch} per fetched partition batch,
 * with records decoded from Avro and lineage `ingestId = topic/partition/offset`. Offsets are committed only
 * when the caller calls `batch.commit()` (after every sink acknowledged it); until then that partition does
 * not advance, which is the source's backpressure. Undecodable messages become `deadLetter` records in-band.
 *
 * Cold: the consumer connects on subscription; teardown disconnects it (safe twice). Uncommitted batches are
 * redelivered to whichever member owns the partition next.
 */
import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { Observable } from 'rxjs';
import { ConfigError, DecodeError } from '../../schemas/errors.js';
import type { AnyRecord, DeadLetterRecord } from '../../schemas/records.js';
import { createAvroSerde, createRegistryClient, type AvroSerde, type RegistryConfig } from './avro-serde.js';
import { createKafka, type KafkaConfig } from './config.js';
import { DLQ_TOPIC } from './topic-for.js';

/** Options of {@link fromKafka}. */
export interface FromKafkaOptions {
  readonly kafka: KafkaConfig;
  /** The registry; or pass `serde`. */
  readonly registry?: RegistryConfig;
  readonly serde?: AvroSerde;
  /** Consumer group id. */
  readonly groupId: string;
  /** Topics (exact names) to consume. */
  readonly topics: readonly string[];
  /** Start at the earliest offset when the group has none. @default true */
  readonly fromBeginning?: boolean;
  /** `kafka`: ingestId becomes `topic/partition/offset`; `original`: the producer's ingestId is kept. @default 'kafka' */
  readonly lineage?: 'kafka' | 'original';
  /** Heartbeat interval while a batch waits for its commit. @default 3000 */
  readonly heartbeatMs?: number;
  /** Partitions whose batches may be outstanding (emitted, not yet committed) at once. @default 1 */
  readonly partitionsConcurrently?: number;
}

/** One partition's fetched records and the way to commit them. */
export interface KafkaBatch {
  readonly topic: string;
  readonly partition: number;
  /** Offset of the last message in the batch. */
  readonly lastOffset: string;
  readonly records: readonly AnyRecord[];
  /** Commits the batch's offsets (idempotent); resolves after the broker accepted the commit. */
  commit(): Promise<void>;
}

/**
 * The dead letter of an undecodable message. The payload says nothing trustworthy about its origin, so
 * exchange/market/source are placeholders (`binance`/`spot`/`ws`); the topic/partition/offset in `ingestId`,
 * the key in `symbol` and the base64 bytes in `raw` are what identify it. eventTimeUs = broker timestamp.
 */
function deadLetterOf(topic: string, partition: number, message: KafkaMessage, error: unknown): DeadLetterRecord {
  const ingestId = `${topic}/${partition}/${message.offset}`;
  return {
    kind: 'deadLetter', exchange: 'binance', market: 'spot', symbol: message.key?.toString('utf8') ?? '',
    eventTimeUs: Number(message.timestamp) * 1000, source: 'ws', receiveTimeUs: null, ingestId, version: 0,
    errorName: error instanceof Error ? error.name : 'Error', reason: error instanceof Error ? error.message : String(error),
    raw: error instanceof DecodeError ? error.raw : (message.value?.toString('base64') ?? ''), originFile: null, originLine: null,
  };
}

async function decodeAll(serde: AvroSerde, payload: EachBatchPayload, lineage: 'kafka' | 'original'): Promise<AnyRecord[]> {
  const { topic, partition, messages } = payload.batch;
  const records: AnyRecord[] = [];
  for (const message of messages) {
    if (message.value === null) continue; // tombstone: nothing to carry
    try {
      const record = await serde.decode(topic, message.value);
      records.push(lineage === 'kafka' ? { ...record, ingestId: `${topic}/${partition}/${message.offset}` } : record);
    } catch (error) {
      if (!(error instanceof DecodeError) || topic.endsWith(DLQ_TOPIC)) throw error;
      records.push(deadLetterOf(topic, partition, message, error));
    }
  }
  return records;
}

/** Consumes `topics` as group `groupId`; see {@link KafkaBatch} for commits. */
export function fromKafka(options: FromKafkaOptions): Observable<KafkaBatch> {
  return new Observable<KafkaBatch>((subscriber) => {
    if (options.serde === undefined && options.registry === undefined) throw new ConfigError('fromKafka: a schema registry (or serde) is required');
    const serde = options.serde ?? createAvroSerde(createRegistryClient(options.registry as RegistryConfig));
    const consumer: Consumer = createKafka(options.kafka).consumer({ groupId: options.groupId, allowAutoTopicCreation: false });
    const stopped = new AbortController();
    const eachBatch = async (payload: EachBatchPayload): Promise<void> => {
      const { topic, partition, lastOffset } = { ...payload.batch, lastOffset: payload.batch.lastOffset() };
      const records = await decodeAll(serde, payload, options.lineage ?? 'kafka');
      let committed: Promise<void> | undefined;
      let release!: () => void;
      const done = new Promise<void>((resolve) => { release = resolve; });
      const commit = (): Promise<void> => (committed ??= consumer
        .commitOffsets([{ topic, partition, offset: (BigInt(lastOffset) + 1n).toString() }])
        .then(() => { payload.resolveOffset(lastOffset); release(); }));
      stopped.signal.addEventListener('abort', release, { once: true }); // before next(): it may unsubscribe synchronously
      if (stopped.signal.aborted) return;
      subscriber.next({ topic, partition, lastOffset, records, commit });
      const heartbeat = setInterval(() => { void payload.heartbeat().catch(() => undefined); }, options.heartbeatMs ?? 3000);
      try { await done; } finally { clearInterval(heartbeat); stopped.signal.removeEventListener('abort', release); }
    };
    const run = async (): Promise<void> => {
      await consumer.connect();
      await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? true });
      await consumer.run({
        autoCommit: false, eachBatchAutoResolve: false, eachBatch, partitionsConsumedConcurrently: options.partitionsConcurrently ?? 1,
      });
    };
    run().catch((error: unknown) => subscriber.error(error));
    consumer.on(consumer.events.CRASH, (event) => { if (!event.payload.restart) subscriber.error(event.payload.error); });
    return () => {
      stopped.abort();
      void consumer.disconnect().catch(() => undefined);
    };
  });
}
