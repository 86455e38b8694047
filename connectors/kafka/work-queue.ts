/**
 * A work queue on a Kafka topic, for jobs cut into independent items (one archive file each): `publishWork`
 * spreads the items round robin over the topic's partitions (item i to partition i mod n: an even spread,
 * where hashing keys would leave some partitions with twice the items of others); `consumeWork` makes this
 * process a member of a consumer group that handles each item and commits its offset only after the handler
 * resolved. An item whose member dies before that commit is handled again by the partition's next owner, so
 * handlers must be idempotent. A member handles one item at a time: kafkajs rejoins a rebalance while the
 * other partitions of a member would still be handled, and the new owner of such a partition would then handle
 * its item too, at the same time (two loads of one archive file into one ClickHouse staging table).
 *
 * A member heartbeats while an item is handled, and the group waits up to `rebalanceTimeoutMs` for a member
 * to finish its item before a rebalance completes: a slow item is not handed to a second member meanwhile.
 */
import type { Admin, Consumer, ITopicConfig } from 'kafkajs';
import { ConfigError, ConnectorError } from '../../schemas/errors.js';
import { createKafka, type KafkaConfig } from './config.js';

/** One item: its key (for logs and compaction) and its text. */
export interface WorkItem {
  readonly key: string;
  readonly value: string;
}

/** Creates `topic` when missing (with `partitions` and `configEntries`); resolves to its partition count. */
export async function ensureTopic(admin: Admin, topic: string, partitions: number, configEntries: ITopicConfig['configEntries'] = []): Promise<number> {
  if (!(await admin.listTopics()).includes(topic)) {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions, configEntries }] }).catch(async (error: unknown) => {
      if (!(await admin.listTopics()).includes(topic)) throw error; // else another process created it meanwhile
    });
  }
  const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
  return metadata?.partitions.length ?? 0;
}

/** Options of {@link publishWork}. */
export interface PublishWorkOptions {
  readonly kafka: KafkaConfig;
  readonly topic: string;
  /** Partitions of the topic when it is created here (an existing topic keeps its own). */
  readonly partitions: number;
  readonly items: readonly WorkItem[];
}

/** Messages per produce request. */
const SEND_CHUNK = 1000;

/** Publishes the items (acknowledged by every in-sync replica); resolves to the topic's partition count. */
export async function publishWork(options: PublishWorkOptions): Promise<number> {
  const kafka = createKafka(options.kafka);
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  try {
    await Promise.all([admin.connect(), producer.connect()]);
    const partitions = await ensureTopic(admin, options.topic, options.partitions);
    for (let start = 0; start < options.items.length; start += SEND_CHUNK) {
      const messages = options.items.slice(start, start + SEND_CHUNK).map((item, i) => ({
        key: item.key, value: item.value, partition: (start + i) % partitions,
      }));
      await producer.send({ topic: options.topic, acks: -1, messages });
    }
    return partitions;
  } finally {
    await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
  }
}

/** One item handed to a member. */
export interface WorkMessage extends WorkItem {
  readonly partition: number;
  readonly offset: string;
}

/** Options of {@link consumeWork}. */
export interface ConsumeWorkOptions {
  readonly kafka: KafkaConfig;
  readonly topic: string;
  readonly groupId: string;
  /** Handles an item; its offset is committed when this resolves. A rejection stops the member (nothing committed). */
  readonly handle: (message: WorkMessage) => Promise<void>;
  /** Stops the member: items being handled are not committed (their handler should stop too). */
  readonly signal?: AbortSignal;
  /** Resolve once the group has committed every item of the topic (checked every `drainCheckMs` while idle). @default false */
  readonly exitWhenDrained?: boolean;
  /** @default 2000 */
  readonly drainCheckMs?: number;
  /** A member silent this long is dead; its partitions go to the others. @default 30000 */
  readonly sessionTimeoutMs?: number;
  /** How long a rebalance waits for members to finish their current item. @default 300000 */
  readonly rebalanceTimeoutMs?: number;
}

/** True when the group has committed every message of every partition of `topic`. */
export async function isDrained(admin: Admin, topic: string, groupId: string): Promise<boolean> {
  const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  return ends.every(({ partition, high, low }) => {
    const offset = committed?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
    return high === low || BigInt(offset) >= BigInt(high);
  });
}

/** kafkajs error types of a commit by a member that is no longer the partition's owner. */
const GROUP_CHANGED = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'NOT_COORDINATOR_FOR_GROUP']);

/** Why a member stopped: its handler's error, kept apart from kafkajs' own errors (which it retries). */
class HandlerFailed extends ConnectorError {
  constructor(readonly failure: unknown) { super('work item handler failed', { service: 'kafka' }, { retriable: false, cause: failure }); }
}

/**
 * Runs this process as a member of `groupId` on `topic` until `signal` aborts (or, with `exitWhenDrained`, the
 * queue is drained); rejects with a handler's error or when the consumer crashed for good.
 */
export async function consumeWork(options: ConsumeWorkOptions): Promise<void> {
  const kafka = createKafka(options.kafka);
  const stopped = new AbortController();
  const stop = (): void => stopped.abort();
  options.signal?.addEventListener('abort', stop, { once: true });
  let failure: { error: unknown } | undefined;
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId, allowAutoTopicCreation: false,
    sessionTimeout: options.sessionTimeoutMs ?? 30_000, rebalanceTimeout: options.rebalanceTimeoutMs ?? 300_000,
    heartbeatInterval: Math.max(500, Math.floor((options.sessionTimeoutMs ?? 30_000) / 10)),
    retry: { restartOnFailure: async (error) => !stopped.signal.aborted && !(error instanceof HandlerFailed) },
  });
  const admin = kafka.admin();
  let busy = 0;
  let idleSince = Date.now();
  try {
    await Promise.all([consumer.connect(), admin.connect()]);
    if (!(await admin.listTopics()).includes(options.topic)) throw new ConfigError(`work topic ${options.topic} does not exist (publish work to it first: backfill --enqueue)`);
    consumer.on(consumer.events.CRASH, (event) => {
      if (event.payload.restart) return;
      failure ??= { error: event.payload.error instanceof HandlerFailed ? event.payload.error.failure : event.payload.error };
      stop();
    });
    await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false, partitionsConsumedConcurrently: 1,
      eachMessage: async ({ partition, message, heartbeat }) => {
        if (stopped.signal.aborted) return;
        busy++;
        const beat = setInterval(() => { void heartbeat().catch(() => undefined); }, 1000);
        try {
          await options.handle({ key: message.key?.toString('utf8') ?? '', value: message.value?.toString('utf8') ?? '', partition, offset: message.offset });
        } catch (error) {
          failure ??= { error };
          stop();
          throw new HandlerFailed(error);
        } finally {
          clearInterval(beat);
          busy--;
          idleSince = Date.now();
        }
        if (stopped.signal.aborted) return; // handled while stopping: maybe not whole, not committed
        await consumer.commitOffsets([{ topic: options.topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]).catch((error: unknown) => {
          // This member lost the partition meanwhile (a rebalance, or judged dead): the item goes to the next owner,
          // whose handler must find it done (the backfill manifest). kafkajs rejoins the group on its next heartbeat.
          if (!GROUP_CHANGED.has((error as { type?: string }).type ?? '')) throw error;
        });
      },
    });
    await waitUntilStopped(stopped.signal, options, async () => busy === 0 && Date.now() - idleSince >= (options.drainCheckMs ?? 2000)
      && await isDrained(admin, options.topic, options.groupId));
  } finally {
    options.signal?.removeEventListener('abort', stop);
    stop();
    await Promise.allSettled([consumer.disconnect(), admin.disconnect()]);
  }
  if (failure !== undefined) throw failure.error;
}

/** Resolves when `signal` aborts or, with `exitWhenDrained`, once `drained` says so. */
async function waitUntilStopped(signal: AbortSignal, options: ConsumeWorkOptions, drained: () => Promise<boolean>): Promise<void> {
  const every = options.drainCheckMs ?? 2000;
  while (!signal.aborted) {
    await new Promise<void>((resolve) => {
      const done = (): void => { clearTimeout(timer); signal.removeEventListener('abort', done); resolve(); };
      const timer = setTimeout(done, every);
      signal.addEventListener('abort', done, { once: true });
    });
    if (!signal.aborted && options.exitWhenDrained === true && await drained().catch(() => false)) return;
  }
}
