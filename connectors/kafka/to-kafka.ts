/**
 * The Kafka sink: `RecordBatch` → `WriteAck`. Records go to `topicOf(record)` keyed by symbol, Avro-encoded
 * through the registry; the batch's unit id is only in its ack (messages carry no headers, see below). Topics
 * are created on first use with `partitions` partitions. Producer and admin connect on the first send and
 * disconnect on teardown.
 *
 * How it sends: waiting batches are encoded ahead, up to 2 × `maxRequestMessages` records beyond the request
 * on the wire, so encoding overlaps the round trip. One sender packs messages into produce requests of at most
 * `maxRequestBytes` and `maxRequestMessages` (so no partition's record batch reaches the broker's
 * `max.message.bytes`, see pack-requests.ts) and sends them one at a time. When several batches wait, the
 * encoded ones are combined into the same requests (fewer round trips when the sink falls behind); a batch
 * larger than a request is split over several. Compression is off by default: on a local broker gzip made
 * each request slower (CPU here), not faster.
 *
 * Guarantees:
 * - Acks: one {@link WriteAck} per batch, in input order, emitted only after every message of the batch was
 *   acknowledged by all in-sync replicas (acks = all). Messages carry key (symbol) and value only: no headers
 *   (a per-message header cost kafkajs a third of its encoding time).
 * - Order: one request in flight (kafkajs' idempotent producer, `maxInFlightRequests: 1`) and requests in
 *   input order, so the messages of one key (symbol) on one topic are appended in input order.
 * - No duplicates from kafkajs' own retries: a failed request is re-sent with the same producer id and
 *   sequence numbers, which the broker deduplicates. When kafkajs gives up, this sink retries the request
 *   (`retry`); with one broker that re-send reuses the rolled-back sequence numbers too, but with several
 *   brokers the partitions of a broker that had already acknowledged are written again (at least once).
 * - Not atomic, and at least once across sessions: a batch split over several requests may be partly written
 *   when the sink fails; it is then not acknowledged, and the pipeline's re-run writes it again with a new
 *   producer id (duplicates that consumers drop by identity key and version).
 */
import { performance } from 'node:perf_hooks';
import type { Admin, ICustomPartitioner, Kafka, Producer } from 'kafkajs';
import { CompressionTypes, Partitioners } from './kafkajs.js';
import type { OperatorFunction } from 'rxjs';
import { batchingSink } from '../batching-sink.js';
import { retry, type BackoffOptions } from '../plumbing/backoff.js';
import { recordsOf, type RecordBatch, type WriteAck } from '../sink.js';
import { ConfigError, EngineError, SinkWriteError } from '../../schemas/errors.js';
import type { AnyRecord } from '../../schemas/records.js';
import { createAvroSerde, createRegistryClient, type AvroSerde, type RegistryConfig } from './avro-serde.js';
import { createKafka, type KafkaConfig } from './config.js';
import { messageBytes, packRequests, type OutMessage, type ProduceRequest } from './pack-requests.js';
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
  /** Retry policy around each produce request. @default backoff.ts defaults */
  readonly retry?: BackoffOptions;
  /**
   * Most estimated bytes (keys, values, headers, record overhead) in one produce request, and so in any
   * partition's record batch; keep it well under the topics' `max.message.bytes` (default 1 MB). @default 524288
   */
  readonly maxRequestBytes?: number;
  /**
   * Most messages in one produce request (`maxRequestBytes` is usually the tighter bound). kafkajs' own
   * per-partition grouping was quadratic in the messages of a request; connectors/kafka/kafkajs.ts replaces it
   * with a linear one, so a backlog can go out in few large requests. @default 10000
   */
  readonly maxRequestMessages?: number;
  /** Record batch compression (`gzip` is kafkajs' built-in codec; it costs CPU on this side). @default 'none' */
  readonly compression?: 'none' | 'gzip';
}

/** Default most messages per produce request (see `maxRequestMessages`). */
const DEFAULT_REQUEST_MESSAGES = 10_000;

interface Session { producer: Producer; admin: Admin; topics: Set<string> }

/** A batch on its way: encoded ahead of its turn (see {@link encodeAhead}), then sent. */
interface Pending {
  readonly batch: RecordBatch;
  /** Set when encoding started; resolves when `messages` are ready. */
  encoded: Promise<void> | undefined;
  ready: boolean;
  messages: OutMessage[];
  bytes: number;
}

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

/** Key bytes per symbol, shared by all messages of the symbol (kafkajs copies Buffers, re-encodes strings). */
const keyBytes = new Map<string, Buffer>();
const keyOf = (symbol: string): Buffer => {
  let key = keyBytes.get(symbol);
  if (key === undefined) keyBytes.set(symbol, (key = Buffer.from(symbol)));
  return key;
};

/** The error for a record its topic's schema cannot hold: a non-retriable `SinkWriteError` (engine errors pass as they are). */
function encodingFailure(error: unknown, topic: string, record: AnyRecord): EngineError {
  if (error instanceof EngineError) return error;
  return new SinkWriteError(`record does not fit the Avro schema of ${topic}: ${(error as Error).message}`, { topic, symbol: record.symbol }, { retriable: false, cause: error });
}

function messageOf(topic: string, record: AnyRecord, value: Buffer): OutMessage {
  const message = { key: keyOf(record.symbol), value };
  return { topic, message, bytes: messageBytes(message) };
}

async function encode(serde: AvroSerde, topic: string, record: AnyRecord): Promise<OutMessage> {
  try {
    return messageOf(topic, record, await serde.encode(topic, record));
  } catch (error) {
    throw encodingFailure(error, topic, record);
  }
}

/** Encodes synchronously while every topic's schema is known (no promise per message), else asynchronously. */
function encodeBatch(records: readonly AnyRecord[], serde: AvroSerde, topicOf: (record: AnyRecord) => string): OutMessage[] | Promise<OutMessage[]> {
  const messages: OutMessage[] = [];
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    const topic = topicOf(record);
    let value: Buffer | undefined;
    try {
      value = serde.encodeNow?.(topic, record);
    } catch (error) {
      throw encodingFailure(error, topic, record);
    }
    if (value === undefined) {
      const rest = records.slice(i).map((r) => encode(serde, topicOf(r), r));
      return Promise.all(rest).then((tail) => messages.concat(tail));
    }
    messages.push(messageOf(topic, record, value));
  }
  return messages;
}

function startEncoding(pending: Pending, serde: AvroSerde, topicOf: (record: AnyRecord) => string): void {
  const done = (messages: OutMessage[]): void => {
    pending.messages = messages;
    for (const m of messages) pending.bytes += m.bytes;
    pending.ready = true;
  };
  try {
    const encoded = encodeBatch(pending.batch.records, serde, topicOf);
    pending.encoded = Array.isArray(encoded) ? Promise.resolve(done(encoded)) : encoded.then(done);
  } catch (error) {
    pending.encoded = Promise.reject(error);
  }
  pending.encoded.catch(() => undefined); // observed by the sender when the batch's turn comes
}

/**
 * Starts encoding the waiting batches, in order, until `lookaheadRecords` records are encoded or being encoded
 * (the head always). Encoding everything that waits at once would interleave all batches' encodings and
 * delay the head's; a bounded lookahead overlaps the next request's encoding with the current round trip.
 */
function encodeAhead(queue: readonly Pending[], lookaheadRecords: number, serde: AvroSerde, topicOf: (record: AnyRecord) => string): void {
  let records = 0;
  for (const pending of queue) {
    if (pending.encoded === undefined) {
      if (records > 0 && records + pending.batch.records.length > lookaheadRecords) return;
      startEncoding(pending, serde, topicOf);
    }
    records += pending.batch.records.length;
    if (records >= lookaheadRecords) return;
  }
}

async function sendRequest(session: Session, request: ProduceRequest, options: ToKafkaOptions): Promise<void> {
  const topics = request.topicMessages.map((t) => t.topic);
  const compression = options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
  await retry(async () => {
    try {
      await ensureTopics(session, topics, options);
      await session.producer.sendBatch({ acks: -1, compression, topicMessages: request.topicMessages });
    } catch (error) {
      const retriable = (error as { retriable?: boolean }).retriable ?? true;
      throw new SinkWriteError(`Kafka send of ${request.count} messages (~${request.bytes} bytes) to ${topics.join(', ')} failed`, { service: 'kafka', topic: topics[0] }, { retriable, cause: error });
    }
  }, { ...options.retry, context: { service: 'kafka' } });
}

function ackOf(batch: RecordBatch, messages: readonly OutMessage[]): WriteAck {
  const topics = [...new Set(messages.map((m) => m.topic))];
  return { sink: 'kafka', unitId: batch.unitId, kind: batch.kind, rows: batch.records.length, target: topics.join(','), ackedAtMs: performance.timeOrigin + performance.now() };
}

/** Removes the head batch (encoded) and the batches right behind it that are already encoded and fit one request. */
async function takeGroup(queue: Pending[], maxRequestBytes: number): Promise<Pending[]> {
  await queue[0].encoded; // started by encodeAhead
  let count = 1;
  let bytes = queue[0].bytes;
  while (count < queue.length && queue[count].ready && bytes + queue[count].bytes <= maxRequestBytes) bytes += queue[count++].bytes;
  return queue.splice(0, count);
}

/** Sends the group's requests in order and calls `acked` for each batch once all its messages are acked. */
async function sendGroup(session: Session, group: readonly Pending[], options: ToKafkaOptions, acked: (ack: WriteAck) => void): Promise<void> {
  const requests = packRequests(group.flatMap((p) => p.messages), options.maxRequestBytes ?? 524_288, options.maxRequestMessages ?? DEFAULT_REQUEST_MESSAGES);
  let sent = 0;
  let next = 0;
  let end = group[0].messages.length;
  for (const request of requests) {
    await sendRequest(session, request, options);
    sent += request.count;
    while (next < group.length && end <= sent) {
      acked(ackOf(group[next].batch, group[next].messages));
      next++;
      end += group[next]?.messages.length ?? 0;
    }
  }
  for (; next < group.length; next++) acked(ackOf(group[next].batch, group[next].messages)); // empty batches
}

/**
 * kafkajs' default partitioner (murmur2 of the key, as the Java client) with its answer cached per topic,
 * partition count and key: the default one filters the partition list and hashes the key for every message,
 * a large share of the producer's CPU at 50,000 messages/s. Keys are the per-symbol Buffers of {@link keyOf}.
 */
export function cachedPartitioner(): ReturnType<ICustomPartitioner> {
  const partition = Partitioners.DefaultPartitioner();
  // Per topic: the partition count the answers hold for (a topic that grows starts over), and one per key object.
  const cache = new Map<string, { partitions: number; byKey: Map<unknown, number> }>();
  return (args) => {
    const { topic, partitionMetadata, message } = args;
    if (message.partition !== undefined && message.partition !== null) return message.partition;
    let forTopic = cache.get(topic);
    if (forTopic === undefined || forTopic.partitions !== partitionMetadata.length) {
      cache.set(topic, (forTopic = { partitions: partitionMetadata.length, byKey: new Map() }));
    }
    const byKey = forTopic.byKey;
    let chosen = byKey.get(message.key);
    if (chosen === undefined) {
      chosen = partition(args);
      if (message.key !== null && message.key !== undefined) byKey.set(message.key, chosen);
    }
    return chosen;
  };
}

async function openSession(kafka: Kafka): Promise<Session> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: cachedPartitioner });
  const admin = kafka.admin();
  await Promise.all([producer.connect(), admin.connect()]);
  return { producer, admin, topics: new Set() };
}

/** Produces each batch and emits one acknowledgement per batch, in order (see the module doc for guarantees). */
export function toKafka(options: ToKafkaOptions): OperatorFunction<RecordBatch, WriteAck> {
  return batchingSink<Pending>(() => {
    if (options.serde === undefined && options.registry === undefined) throw new ConfigError('toKafka: a schema registry (or serde) is required');
    const serde = options.serde ?? createAvroSerde(createRegistryClient(options.registry as RegistryConfig));
    const topicOf = options.topicOf ?? topicFor;
    const kafka = createKafka(options.kafka);
    const lookahead = 2 * (options.maxRequestMessages ?? DEFAULT_REQUEST_MESSAGES);
    let session: Promise<Session> | undefined;
    return {
      prepare: (batch) => {
        recordsOf(batch, 'kafka');
        return { batch, encoded: undefined, ready: false, messages: [], bytes: 0 };
      },
      ahead: (waiting) => encodeAhead(waiting, lookahead, serde, topicOf),
      take: (waiting) => takeGroup(waiting, options.maxRequestBytes ?? 524_288),
      send: async (group, acked) => sendGroup(await (session ??= openSession(kafka)), group, options, acked),
      close: () => { void session?.then((s) => Promise.all([s.producer.disconnect(), s.admin.disconnect()]), () => undefined); },
    };
  });
}
