/**
 * The Kafka sink: `RecordBatch` → `WriteAck`. Records go to `topicFor(record)` keyed by symbol (one symbol's
 * stream stays ordered within its partition), Avro-encoded through the registry. The producer is idempotent
 * (`idempotent: true`, one request in flight as kafkajs requires), so broker-side retries never duplicate;
 * topics are created on first use with `partitions` partitions. The batch's unit id travels as a header.
 *
 * Batches are sent one after another (`concatMap`) and acknowledged after every broker ack (acks = all).
 * Producer and admin connect on subscription and disconnect on teardown.
 */
import type { Admin, Kafka, Message, Producer } from 'kafkajs';
import { Observable, concatMap, defer, from, type OperatorFunction } from 'rxjs';
import { retry, type BackoffOptions } from '../backoff.js';
import type { RecordBatch, WriteAck } from '../sink.js';
import { ConfigError, EngineError, SinkWriteError } from '../../schemas/errors.js';
import type { AnyRecord } from '../../schemas/records.js';
import { createAvroSerde, createRegistryClient, type AvroSerde, type RegistryConfig } from './avro-serde.js';
import { createKafka, type KafkaConfig } from './config.js';
import { topicFor } from './topic-for.js';

/** Options of {@link toKafka}. */
export interface ToKafkaOptions {
  readonly kafka: KafkaConfig;
  /** The registry; or pass `serde`. */
  readonly registry?: RegistryConfig;
  /** A ready serde (tests, shared registry clients). */
  readonly serde?: AvroSerde;
  /** Partitions of topics this sink creates. @default 6 */
  readonly partitions?: number;
  /** Replication factor of topics this sink creates. @default 1 */
  readonly replicationFactor?: number;
  /** Topic of a record. @default topicFor */
  readonly topicOf?: (record: AnyRecord) => string;
  /** Retry policy around a whole send. @default backoff.ts defaults */
  readonly retry?: BackoffOptions;
}

interface Session { producer: Producer; admin: Admin; serde: AvroSerde; topics: Set<string> }

async function ensureTopics(session: Session, topics: readonly string[], options: ToKafkaOptions): Promise<void> {
  const missing = topics.filter((topic) => !session.topics.has(topic));
  if (missing.length === 0) return;
  const existing = new Set(await session.admin.listTopics());
  const create = missing.filter((topic) => !existing.has(topic));
  if (create.length > 0) {
    await session.admin.createTopics({
      waitForLeaders: true,
      topics: create.map((topic) => ({ topic, numPartitions: options.partitions ?? 6, replicationFactor: options.replicationFactor ?? 1 })),
    });
  }
  for (const topic of missing) session.topics.add(topic);
}

/** Encodes one record; a record its schema cannot hold is a non-retriable `SinkWriteError`. */
async function encode(serde: AvroSerde, topic: string, record: AnyRecord): Promise<Buffer> {
  try {
    return await serde.encode(topic, record);
  } catch (error) {
    if (error instanceof EngineError) throw error;
    throw new SinkWriteError(`record does not fit the Avro schema of ${topic}: ${(error as Error).message}`, { topic, symbol: record.symbol }, { retriable: false, cause: error });
  }
}

async function sendBatch(session: Session, batch: RecordBatch, options: ToKafkaOptions): Promise<WriteAck> {
  const byTopic = new Map<string, Message[]>();
  const topicOf = options.topicOf ?? topicFor;
  for (const record of batch.records) {
    const topic = topicOf(record);
    const message: Message = { key: record.symbol, value: await encode(session.serde, topic, record), headers: { unitId: batch.unitId } };
    const messages = byTopic.get(topic);
    if (messages === undefined) byTopic.set(topic, [message]);
    else messages.push(message);
  }
  const topics = [...byTopic.keys()];
  await retry(async () => {
    try {
      await ensureTopics(session, topics, options);
      await session.producer.sendBatch({ acks: -1, topicMessages: topics.map((topic) => ({ topic, messages: byTopic.get(topic) ?? [] })) });
    } catch (error) {
      const retriable = (error as { retriable?: boolean }).retriable ?? true;
      throw new SinkWriteError(`Kafka send to ${topics.join(', ')} failed`, { service: 'kafka', topic: topics[0] }, { retriable, cause: error });
    }
  }, { ...options.retry, context: { service: 'kafka' } });
  return { sink: 'kafka', unitId: batch.unitId, kind: batch.kind, rows: batch.records.length, target: topics.join(',') };
}

async function openSession(kafka: Kafka, options: ToKafkaOptions): Promise<Session> {
  if (options.serde === undefined && options.registry === undefined) throw new ConfigError('toKafka: a schema registry (or serde) is required');
  const serde = options.serde ?? createAvroSerde(createRegistryClient(options.registry as RegistryConfig));
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  const admin = kafka.admin();
  await Promise.all([producer.connect(), admin.connect()]);
  return { producer, admin, serde, topics: new Set() };
}

/** Produces each batch and emits one acknowledgement per batch, in order. */
export function toKafka(options: ToKafkaOptions): OperatorFunction<RecordBatch, WriteAck> {
  return (batches) => defer(() => new Observable<WriteAck>((subscriber) => {
    const kafka = createKafka(options.kafka);
    let session: Promise<Session> | undefined;
    const open = (): Promise<Session> => (session ??= openSession(kafka, options));
    const subscription = batches
      .pipe(concatMap((batch) => from(open().then((s) => sendBatch(s, batch, options)))))
      .subscribe(subscriber);
    return () => {
      subscription.unsubscribe();
      void session?.then((s) => Promise.all([s.producer.disconnect(), s.admin.disconnect()]), () => undefined);
    };
  }));
}
