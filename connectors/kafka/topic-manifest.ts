/**
 * The backfill resume manifest (connectors/binance-archive/manifest.ts `Manifest`) on a compacted Kafka topic,
 * shared by every process that reaches the brokers: the backfill workers of one job on several machines, and
 * `backfill --enqueue --since-last`. One message per entry, key `<scope> <archive key>`, value the entry as
 * JSON; compaction keeps the last entry of each key, as the file manifest's last line of a key wins. `scope`
 * names what the entries are about (the sinks and their targets), so one topic serves several lakes and
 * databases without one's loads being skipped for another.
 *
 * Opening reads the topic up to its end (every entry recorded before); afterwards a reader keeps tailing it,
 * so entries other processes record later are seen too, a moment after they were written. `record` resolves
 * once every in-sync replica has the entry. A member of a throwaway consumer group reads (kafkajs reads
 * through groups only); it commits nothing.
 */
import { randomBytes } from 'node:crypto';
import type { Admin, Consumer, Producer } from 'kafkajs';
import { ConnectorError } from '../../schemas/errors.js';
import type { Manifest, ManifestEntry } from '../binance-archive/manifest.js';
import { createKafka, type KafkaConfig } from './config.js';
import { ensureTopic } from './work-queue.js';

/** Options of {@link openTopicManifest}. */
export interface TopicManifestOptions {
  readonly kafka: KafkaConfig;
  readonly topic: string;
  /** What the entries are about (e.g. the sinks and their targets): only this scope's entries are read and written. */
  readonly scope: string;
  /** Gives up opening after this long (a topic whose end is never reached). @default 60000 */
  readonly openTimeoutMs?: number;
}

/** A {@link Manifest} on a topic, to close when done. */
export interface TopicManifest extends Manifest {
  close(): Promise<void>;
}

/** Partitions of a manifest topic created here: one (entries are few, and one log keeps their order). */
const MANIFEST_PARTITIONS = 1;

/** The manifest of `scope` on `topic` (created, compacted, when missing). */
export async function openTopicManifest(options: TopicManifestOptions): Promise<TopicManifest> {
  const kafka = createKafka(options.kafka);
  const admin: Admin = kafka.admin();
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  const consumer: Consumer = kafka.consumer({ groupId: `lakehouse-manifest-reader-${randomBytes(6).toString('hex')}`, allowAutoTopicCreation: false });
  const prefix = `${options.scope} `;
  const entries = new Map<string, ManifestEntry>();
  const close = async (): Promise<void> => { await Promise.allSettled([consumer.disconnect(), producer.disconnect(), admin.disconnect()]); };
  try {
    await Promise.all([admin.connect(), producer.connect(), consumer.connect()]);
    await ensureTopic(admin, options.topic, MANIFEST_PARTITIONS, [{ name: 'cleanup.policy', value: 'compact' }]);
    const ends = new Map((await admin.fetchTopicOffsets(options.topic)).map((p) => [p.partition, BigInt(p.high)] as const));
    const behind = new Set([...ends].filter(([, high]) => high > 0n).map(([partition]) => partition));
    let caughtUp!: () => void;
    const opened = new Promise<void>((resolve) => { caughtUp = resolve; });
    if (behind.size === 0) caughtUp();
    await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const key = message.key?.toString('utf8') ?? '';
          if (!key.startsWith(prefix) || message.value === null) continue;
          const entry = parseEntry(message.value.toString('utf8'));
          if (entry !== undefined) entries.set(entry.key, entry);
        }
        if (BigInt(batch.lastOffset()) + 1n >= (ends.get(batch.partition) ?? 0n) && behind.delete(batch.partition) && behind.size === 0) caughtUp();
      },
    });
    await withTimeout(opened, options.openTimeoutMs ?? 60_000, `reading the manifest topic ${options.topic} to its end`);
  } catch (error) {
    await close();
    throw error;
  }
  return {
    path: `kafka:${options.topic}`,
    get: (key) => entries.get(key),
    entries: () => [...entries.values()],
    async record(entry) {
      entries.set(entry.key, entry);
      await producer.send({ topic: options.topic, acks: -1, messages: [{ key: `${prefix}${entry.key}`, value: JSON.stringify(entry) }] });
    },
    close,
  };
}

function parseEntry(text: string): ManifestEntry | undefined {
  try {
    const entry = JSON.parse(text) as ManifestEntry | null;
    return typeof entry?.key === 'string' && typeof entry.sha256 === 'string' ? entry : undefined;
  } catch {
    return undefined;
  }
}

async function withTimeout(promise: Promise<void>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new ConnectorError(`timed out after ${ms} ms ${what}`, { service: 'kafka' })), ms); });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
