/**
 * What a ClickHouse server can do, probed once per client: the DDL capabilities of schemas/clickhouse-ddl.ts
 * plus the features the SQL and insert paths use (query parameters, insert dedup tokens). Probing asks the
 * server (`version()`, `system.settings`, `system.merge_tree_settings`) instead of guessing from names.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { ClickHouseCapabilities } from '../../schemas/clickhouse-ddl.js';

/** Capabilities plus the features used by connectors/clickhouse. */
export interface ClickHouseFeatures extends ClickHouseCapabilities {
  /** `version()` as reported, e.g. `18.16.1` or `26.7.2.1`. */
  readonly version: string;
  /** `{name:Type}` query parameters (HTTP `param_*`). */
  readonly queryParams: boolean;
  /** The `insert_deduplication_token` setting exists. */
  readonly insertDeduplicationToken: boolean;
  /** The MergeTree setting `non_replicated_deduplication_window` exists (dedup without ZooKeeper). */
  readonly nonReplicatedDedupWindow: boolean;
}

/** The raw answers of a probe. */
export interface ProbeAnswers {
  readonly version: string;
  /** Names of the session settings the server knows. */
  readonly settings: ReadonlySet<string>;
  /** Names of the MergeTree settings the server knows. */
  readonly mergeTreeSettings: ReadonlySet<string>;
  /** A `SELECT {p:UInt8}` with a query parameter succeeded. */
  readonly queryParams: boolean;
}

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [a, b] = version.split('.').map((part) => Number.parseInt(part, 10));
  return a > major || (a === major && b >= minor);
}

/**
 * Maps probe answers to features. DateTime64 arrived in 20.1; LowCardinality lost its experimental flag in
 * 19.x (18.16 needs `allow_experimental_low_cardinality_type`, which our legacy DDL avoids); query parameters
 * are tried, not guessed (18.16 rejects `param_*`).
 */
export function featuresFromProbe(answers: ProbeAnswers): ClickHouseFeatures {
  const modern = versionAtLeast(answers.version, 20, 1);
  return {
    version: answers.version,
    dateTime64: modern,
    lowCardinality: modern,
    queryParams: answers.queryParams,
    insertDeduplicationToken: answers.settings.has('insert_deduplication_token'),
    nonReplicatedDedupWindow: answers.mergeTreeSettings.has('non_replicated_deduplication_window'),
  };
}

async function names(client: ClickHouseClient, table: string, wanted: readonly string[]): Promise<Set<string>> {
  const list = wanted.map((name) => `'${name}'`).join(', ');
  const result = await client.query({ query: `SELECT name FROM system.${table} WHERE name IN (${list})`, format: 'JSONEachRow' });
  const rows = await result.json<{ name: string }>();
  return new Set(rows.map((row) => row.name));
}

/** Asks the server what it supports. */
export async function probeCapabilities(client: ClickHouseClient): Promise<ClickHouseFeatures> {
  const result = await client.query({ query: 'SELECT version() AS version', format: 'JSONEachRow' });
  const [{ version }] = await result.json<{ version: string }>();
  const settings = await names(client, 'settings', ['insert_deduplication_token']);
  const mergeTreeSettings = await names(client, 'merge_tree_settings', ['non_replicated_deduplication_window']);
  // Servers before 19.x reject `param_*` outright (and the client logs the failure), so only newer ones are asked.
  const queryParams = versionAtLeast(version, 19, 1) && await client
    .query({ query: 'SELECT {probe:UInt8} AS probe', query_params: { probe: 1 }, format: 'JSONEachRow' })
    .then((r) => r.json<{ probe: number }>())
    .then((rows) => rows[0]?.probe === 1, () => false);
  return featuresFromProbe({ version, settings, mergeTreeSettings, queryParams });
}
