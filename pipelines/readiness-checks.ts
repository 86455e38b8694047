/**
 * What `/readyz` checks, per command: the sinks' services answer (a ClickHouse ping; the Kafka cluster
 * describes itself; a lake is writable: a local directory by its permissions, an `s3://` lake by writing and
 * deleting a small object under its prefix), the live client's sockets are open and its reads not
 * paused by a backlog, the serve consumer group is stable and its lag under `--ready-max-lag`. Each probe keeps
 * at most one client, opened on the first check and dropped after a failure (the next check opens a new one).
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin } from 'kafkajs';
import type { LiveStats } from '../connectors/binance-live/live-stats.js';
import type { FlowGate } from '../connectors/plumbing/flow-gate.js';
import type { KafkaConfig } from '../connectors/kafka/config.js';
import type { S3Config } from '../connectors/s3/config.js';
import { isS3Url, parseS3Url, s3KeyOf } from '../connectors/s3/s3-url.js';
import type { ReadinessCheck } from './ops-server.js';

/** How long the list of a consumer group's topics is kept, ms. */
const TOPICS_TTL_MS = 60_000;

/** A readiness check holding a client. */
export interface Probe extends ReadinessCheck {
  close(): Promise<void>;
}

/** Whether ClickHouse answers a ping (through `--clickhouse-url`, with the run's credentials and CA). */
export function clickhouseProbe(config: { url: string; username?: string; password?: string; caCert?: string }): Probe {
  let client: ClickHouseClient | undefined;
  return {
    name: 'clickhouse',
    async check() {
      const { createClickHouseClient } = await import('../connectors/clickhouse/config.js');
      client ??= await createClickHouseClient({ ...config, requestTimeoutMs: 1_500, quiet: true });
      const result = await client.ping();
      return result.success ? undefined : `ping failed: ${result.error.message.split('\n')[0]}`;
    },
    async close() { await client?.close(); client = undefined; },
  };
}

/** Kafka through one admin client: the cluster answers; with `group`, the consumer group is stable and caught up. */
export class KafkaProbe {
  private admin: Promise<Admin> | undefined;

  private topics: { readonly names: readonly string[]; readonly atMs: number } | undefined;

  /** `group.topics` lists the topics the group consumes (asked again at most once a minute). */
  constructor(private readonly kafka: KafkaConfig, private readonly group?: { readonly id: string; readonly topics: () => Promise<readonly string[]>; readonly maxLag: number }) {}

  /** The readiness checks: the cluster, then the group when there is one. */
  checks(): ReadinessCheck[] {
    const checks: ReadinessCheck[] = [{ name: 'kafka', check: async () => { await this.use((admin) => admin.describeCluster()); return undefined; } }];
    const group = this.group;
    if (group !== undefined) {
      checks.push({ name: 'consumerGroup', check: async () => {
        const { groups } = await this.use((admin) => admin.describeGroups([group.id]));
        const state = groups[0]?.state ?? 'Dead';
        if (state !== 'Stable') return `group ${group.id} is ${state}`;
        if (group.maxLag <= 0) return undefined;
        const lag = [...(await this.lag()).values()].reduce((sum, n) => sum + n, 0);
        return lag > group.maxLag ? `lag ${lag} records > --ready-max-lag ${group.maxLag}` : undefined;
      } });
    }
    return checks;
  }

  /** Records after the group's committed offset, per `topic/partition` (partitions without a commit: after their start). */
  async lag(): Promise<Map<string, number>> {
    const group = this.group;
    const lags = new Map<string, number>();
    if (group === undefined) return lags;
    if (this.topics === undefined || Date.now() - this.topics.atMs > TOPICS_TTL_MS) this.topics = { names: await group.topics(), atMs: Date.now() };
    const topics = [...this.topics.names];
    return this.use(async (admin) => {
      const committed = await admin.fetchOffsets({ groupId: group.id, topics });
      for (const { topic, partitions } of committed) {
        const ends = await admin.fetchTopicOffsets(topic);
        for (const end of ends) {
          const offset = partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
          const from = offset === '-1' ? BigInt(end.low) : BigInt(offset);
          lags.set(`${topic}/${end.partition}`, Math.max(0, Number(BigInt(end.high) - from)));
        }
      }
      return lags;
    });
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await (await admin?.catch(() => undefined))?.disconnect().catch(() => undefined);
  }

  private async use<T>(operation: (admin: Admin) => Promise<T>): Promise<T> {
    this.admin ??= (async () => {
      const { createKafka } = await import('../connectors/kafka/config.js');
      const admin = createKafka({ ...this.kafka, connectionTimeoutMs: 1_000 }).admin({ retry: { retries: 0 } });
      await admin.connect();
      return admin;
    })();
    try {
      return await operation(await this.admin);
    } catch (error) {
      await this.close();
      throw error;
    }
  }
}

/** The object an `s3://` lake's readiness check writes and deletes under the lake's prefix (outside every `exchange=` partition). */
export const S3_READY_OBJECT = '_lakehouse-ready';

/**
 * Whether the lake at `root` is writable: a local directory (or the directory it will be created in) by its
 * permissions; an `s3://` lake (with `s3`, its endpoint and credentials) by a PUT and a DELETE of
 * {@link S3_READY_OBJECT} under its prefix — what a write of the lake needs, through the run's client settings.
 */
export function lakeCheck(root: string, s3?: S3Config): Probe {
  if (isS3Url(root)) return s3LakeCheck(root, s3 ?? {});
  return {
    name: 'lake',
    async check() {
      for (let dir = resolve(root); ; dir = dirname(dir)) {
        try {
          await access(dir, constants.W_OK);
          return undefined;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(dir) === dir) return `${root} is not writable (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
        }
      }
    },
    close: () => Promise.resolve(),
  };
}

function s3LakeCheck(root: string, s3: S3Config): Probe {
  const location = parseS3Url(root);
  const key = s3KeyOf(location, S3_READY_OBJECT);
  let client: S3Client | undefined;
  return {
    name: 'lake',
    async check() {
      const { createS3Client } = await import('../connectors/s3/config.js');
      const { s3Sdk } = await import('../connectors/s3/sdk.js');
      client ??= createS3Client(s3);
      const { PutObjectCommand, DeleteObjectCommand } = s3Sdk();
      try {
        await client.send(new PutObjectCommand({ Bucket: location.bucket, Key: key, Body: '' }));
        await client.send(new DeleteObjectCommand({ Bucket: location.bucket, Key: key }));
        return undefined;
      } catch (error) {
        const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
        const status = e.$metadata?.httpStatusCode === undefined ? '' : `HTTP ${e.$metadata.httpStatusCode} `;
        return `${root} is not writable (${status}${e.name ?? 'Error'}: ${String(e.message ?? error).split('\n')[0]})`;
      }
    },
    async close() { client?.destroy(); client = undefined; },
  };
}

/** Whether the live client has an open socket and its reads are not paused by a backlog. */
export function liveCheck(stats: LiveStats, flow?: FlowGate): ReadinessCheck {
  return {
    name: 'stream',
    check() {
      if (stats.openSockets <= 0) return Promise.resolve(`no WebSocket open (${stats.reconnects} reconnects so far)`);
      if (flow?.paused === true) return Promise.resolve('reads paused: the sinks are behind (backlog at --max-backlog)');
      return Promise.resolve(undefined);
    },
  };
}
