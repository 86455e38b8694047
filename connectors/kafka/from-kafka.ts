/**
 * The Kafka source: a consumer-group member that emits one {@link KafkaBatch} per fetched partition batch,
 * with records decoded from Avro and lineage `ingestId = topic/partition/offset`. Offsets are committed only
 * when the caller calls `batch.commit()` (after every sink acknowledged it); until then that partition does
 * not advance, which is the source's backpressure. Undecodable messages become `deadLetter` records in-band.
 *
 * Cold: the consumer connects on subscription; teardown disconnects it (safe twice). Uncommitted batches are
 * redelivered to whichever member owns the partition next.
 */
import type { Admin, Consumer, EachBatchPayload, KafkaMessage, PartitionAssigner } from 'kafkajs';
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
  /** kafkajs partition assigners (e.g. the co-partition assigner). @default kafkajs' round robin */
  readonly partitionAssigners?: PartitionAssigner[];
  /** Bytes a fetch asks for per partition (a fetch asks for 8 partitions' worth at most). @default kafkajs' 1 MiB */
  readonly maxBytesPerPartition?: number;
}

/** An offset to commit for one partition, with metadata stored beside it (at most 4 KB on a default broker). */
export interface CommitEntry {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read. */
  readonly offset: string;
  readonly metadata?: string | null;
}

/** The consumer-group member behind the batches: for a caller that commits offsets of its own choosing. */
export interface KafkaGroup {
  /** Commits these offsets (with metadata) for the group. */
  commit(entries: readonly CommitEntry[]): Promise<void>;
  /** Moves the member's position in an assigned partition: its next batch starts at `offset`. */
  seek(topic: string, partition: number, offset: string): void;
  /** The group's committed offset and metadata of a partition (offset "-1" when none). */
  committed(topic: string, partition: number): Promise<{ offset: string; metadata: string | null }>;
}

/** One partition's fetched records and the way to commit them. */
export interface KafkaBatch {
  readonly topic: string;
  readonly partition: number;
  /** Offset of the first message in the batch. */
  readonly firstOffset: string;
  /** Offset of the last message in the batch. */
  readonly lastOffset: string;
  readonly records: readonly AnyRecord[];
  /**
   * The group generation the batch was fetched in: it changes at every rebalance, after which every assigned
   * partition is read again from its committed offset (uncommitted, released batches come again).
   */
  readonly generation: number;
  /** The member, for commits of the caller's own offsets. */
  readonly group: KafkaGroup;
  /** Commits the batch's offsets (idempotent); resolves after the broker accepted the commit. */
  commit(): Promise<void>;
  /** Lets the consumer fetch the partition's next batch without committing this one (the caller commits later through `group`). */
  release(): void;
  /** Lets the consumer go on without marking the batch consumed: a batch fetched before a `seek` of its partition. */
  skip(): void;
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
  const lineagePrefix = `${topic}/${partition}/`;
  for (const message of messages) {
    if (message.value === null) continue; // tombstone: nothing to carry
    try {
      // The record is a fresh object of the serde's: its lineage is given to the reader (which then skips the
      // producer's) or set in place, not by another copy.
      const ingestId = lineage === 'kafka' ? lineagePrefix + message.offset : undefined;
      const record = serde.decodeNow?.(topic, message.value, ingestId) ?? await serde.decode(topic, message.value);
      if (ingestId !== undefined) (record as { ingestId: string }).ingestId = ingestId;
      records.push(record);
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
    const kafka = createKafka(options.kafka);
    const stopped = new AbortController();
    const perPartition = options.maxBytesPerPartition;
    const consumer: Consumer = kafka.consumer({
      groupId: options.groupId, allowAutoTopicCreation: false,
      ...(perPartition === undefined ? {} : { maxBytesPerPartition: perPartition, maxBytes: Math.max(10 * 1048576, 8 * perPartition) }),
      ...(options.partitionAssigners === undefined ? {} : { partitionAssigners: options.partitionAssigners }),
      // A consumer that crashes while being torn down (a connection closed mid-rebalance) must not be restarted
      // by kafkajs: its restart timer would keep the process alive after the source was unsubscribed.
      retry: { restartOnFailure: async () => !stopped.signal.aborted },
    });
    let generation = 0;
    consumer.on(consumer.events.GROUP_JOIN, () => { generation++; });
    const group = groupOf(consumer, () => kafka.admin(), options.groupId);
    const eachBatch = async (payload: EachBatchPayload): Promise<void> => {
      const { topic, partition, lastOffset } = { ...payload.batch, lastOffset: payload.batch.lastOffset() };
      const firstOffset = payload.batch.firstOffset() ?? lastOffset;
      const records = await decodeAll(serde, payload, options.lineage ?? 'kafka');
      let committed: Promise<void> | undefined;
      let releaseWait!: () => void;
      const done = new Promise<void>((resolve) => { releaseWait = resolve; });
      const commit = (): Promise<void> => (committed ??= consumer
        .commitOffsets([{ topic, partition, offset: (BigInt(lastOffset) + 1n).toString() }])
        .then(() => { payload.resolveOffset(lastOffset); releaseWait(); }));
      stopped.signal.addEventListener('abort', releaseWait, { once: true }); // before next(): it may unsubscribe synchronously
      if (stopped.signal.aborted) return;
      const release = (): void => { payload.resolveOffset(lastOffset); releaseWait(); };
      subscriber.next({ topic, partition, firstOffset, lastOffset, records, generation, group: group.api, commit, release, skip: releaseWait });
      const heartbeat = setInterval(() => { void payload.heartbeat().catch(() => undefined); }, options.heartbeatMs ?? 3000);
      try { await done; } finally { clearInterval(heartbeat); stopped.signal.removeEventListener('abort', releaseWait); }
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
      group.close();
    };
  });
}

/** The {@link KafkaGroup} of a consumer; its admin client (for committed metadata) connects on first use. */
function groupOf(consumer: Consumer, createAdmin: () => Admin, groupId: string): { api: KafkaGroup; close: () => void } {
  let admin: Promise<Admin> | undefined;
  const api: KafkaGroup = {
    seek: (topic, partition, offset) => { consumer.seek({ topic, partition, offset }); },
    commit: (entries) => consumer.commitOffsets(entries.map((e) => ({ topic: e.topic, partition: e.partition, offset: e.offset, metadata: e.metadata ?? null }))),
    async committed(topic, partition) {
      admin ??= (async () => { const a = createAdmin(); await a.connect(); return a; })();
      admin.catch(() => { admin = undefined; });
      const [entry] = await (await admin).fetchOffsets({ groupId, topics: [topic] });
      const found = entry?.partitions.find((p) => p.partition === partition);
      return { offset: found?.offset ?? '-1', metadata: found?.metadata ?? null };
    },
  };
  return { api, close: () => { void admin?.then((a) => a.disconnect()).catch(() => undefined); } };
}
