/**
 * Idempotent schema migration: the database and one `ReplacingMergeTree(version)` table per kind, from
 * schemas/clickhouse-ddl.ts with the server's probed capabilities. Where the server has it (not 18.16), tables
 * get `non_replicated_deduplication_window` so that inserts carrying a dedup token (the unit id) are
 * dropped when replayed; replays converge through ReplacingMergeTree everywhere.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { clickhouseTableDdl, quoteIdentifier, tableNameOf } from '../../schemas/clickhouse-ddl.js';
import { KINDS, type KindName } from '../../schemas/records.js';
import { probeCapabilities, type ClickHouseFeatures } from './probe-capabilities.js';

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /** Database to create and fill. @default 'lakehouse' */
  readonly database?: string;
  /** Kinds whose tables to create. @default every kind */
  readonly kinds?: readonly KindName[];
  /** Cluster name for `ON CLUSTER` + Replicated/Distributed tables. @default none */
  readonly cluster?: string;
  /**
   * With a cluster: create everything `ON CLUSTER` through this server (true), or on this server alone, for a
   * caller that migrates every server of the cluster in turn (false). @default true
   */
  readonly onCluster?: boolean;
  /** Probed features; probed here when absent. */
  readonly features?: ClickHouseFeatures;
  /** Inserts remembered for token dedup, where supported. @default 1000 */
  readonly dedupWindow?: number;
}

/** The statements {@link migrate} runs, in order (pure; exported for tests and `--plan`). */
export function migrationStatements(features: ClickHouseFeatures, options: MigrateOptions = {}): string[] {
  const database = options.database ?? 'lakehouse';
  const onCluster = options.cluster === undefined || options.onCluster === false ? '' : ` ON CLUSTER ${quoteIdentifier(options.cluster)}`;
  const statements = [`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}${onCluster}`];
  const window = Math.max(1, Math.trunc(options.dedupWindow ?? 1000));
  for (const kind of options.kinds ?? (Object.keys(KINDS) as KindName[])) {
    const ddl = clickhouseTableDdl(KINDS[kind], features, {
      database, ...(options.cluster === undefined ? {} : { cluster: options.cluster, onCluster: options.onCluster !== false }),
    });
    if (options.cluster === undefined && features.nonReplicatedDedupWindow) {
      ddl[0] += `\nSETTINGS non_replicated_deduplication_window = ${window}`;
    }
    statements.push(...ddl);
  }
  return statements;
}

/** Creates the database and tables if missing; returns the table names. Safe to run any number of times. */
export async function migrate(client: ClickHouseClient, options: MigrateOptions = {}): Promise<string[]> {
  const features = options.features ?? (await probeCapabilities(client));
  for (const statement of migrationStatements(features, options)) await client.command({ query: statement });
  return (options.kinds ?? (Object.keys(KINDS) as KindName[])).map(tableNameOf);
}
