/**
 * `--clickhouse-cluster NAME` for the sink commands (backfill, serve, stream, replay): the migration creates every
 * kind's table as `<table>_local`, a ReplicatedReplacingMergeTree on every server of the cluster (replica path
 * from the servers' `{shard}` and `{replica}` macros), and a Distributed `<table>` over them, which queries
 * read. The sinks write into the `_local` tables of the server they connect to; replication takes the rows to
 * the other replicas of its shard (a file's staged parts too: they are attached to the replicated table).
 *
 * The tables are created `ON CLUSTER` through `--clickhouse-url`, or, with `--clickhouse-cluster-urls`, on each
 * listed server in turn: the 18.16 server's distributed DDL queue stores statements re-formatted without
 * identifier quotes and then cannot parse the klines sort key (its `interval` column) back.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { ClickHouseFeatures } from '../connectors/clickhouse/probe-capabilities.js';
import { ConfigError } from '../schemas/errors.js';
import type { OptionSpec, ResolvedConfig } from './config.js';

/** The cluster options. */
export const CLICKHOUSE_CLUSTER_OPTIONS: readonly OptionSpec[] = [
  { name: 'clickhouseCluster', type: 'string', placeholder: 'NAME', doc: 'ClickHouse cluster (remote_servers) whose every server gets the tables: replicated <table>_local tables written through --clickhouse-url, Distributed <table> tables read' },
  { name: 'clickhouseClusterUrls', type: 'list', placeholder: 'URL,…', check: 'url', doc: 'With --clickhouse-cluster: every server\'s URL, migrated one by one instead of ON CLUSTER (needed on ClickHouse 18.16)' },
];

/** The cluster and its servers' URLs of resolved options (`undefined`: no cluster). */
export function clickhouseClusterOf(config: ResolvedConfig): { name: string; urls: readonly string[] } | undefined {
  const name = config.clickhouseCluster;
  const urls = (config.clickhouseClusterUrls as readonly string[] | undefined) ?? [];
  if (name === undefined) {
    if (urls.length > 0) throw new ConfigError('--clickhouse-cluster-urls needs --clickhouse-cluster');
    return undefined;
  }
  if (typeof name !== 'string' || name.trim() === '') throw new ConfigError(`--clickhouse-cluster expects a cluster name, got ${JSON.stringify(name)}`);
  return { name, urls };
}

/** What {@link migrateSinkTables} needs. */
export interface SinkMigration {
  readonly database: string;
  readonly cluster?: { name: string; urls: readonly string[] };
  /** A client of another server (closed after its migration). */
  readonly connect: (url: string) => Promise<ClickHouseClient>;
  readonly migrate: typeof import('../connectors/clickhouse/migrate.js').migrate;
  readonly probe: (client: ClickHouseClient) => Promise<ClickHouseFeatures>;
}

/** Migrates the sink's server (and, with cluster URLs, every other server of the cluster); resolves to the sink server's features. */
export async function migrateSinkTables(client: ClickHouseClient, url: string, m: SinkMigration): Promise<ClickHouseFeatures> {
  const features = await m.probe(client);
  if (m.cluster === undefined) {
    await m.migrate(client, { database: m.database, features });
    return features;
  }
  if (m.cluster.urls.length === 0) {
    await m.migrate(client, { database: m.database, features, cluster: m.cluster.name });
    return features;
  }
  await m.migrate(client, { database: m.database, features, cluster: m.cluster.name, onCluster: false });
  for (const other of new Set(m.cluster.urls)) {
    if (other === url) continue;
    const server = await m.connect(other);
    try {
      await m.migrate(server, { database: m.database, features: await m.probe(server), cluster: m.cluster.name, onCluster: false });
    } finally {
      await server.close();
    }
  }
  return features;
}
