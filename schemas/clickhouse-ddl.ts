/**
 * Derives ClickHouse DDL from the field tables: one `ReplacingMergeTree(version)` table per kind, ordered by
 * the identity key and partitioned by month of event time. Column types depend on what the server can do
 * (probed by connectors/clickhouse): the Debian 18.16 server has no DateTime64 and needs a setting for
 * LowCardinality; modern servers have both.
 */
import type { FieldSpec } from './fields.js';
import type { KindName, KindSpec } from './records.js';

/** What the target server supports; see connectors/clickhouse for the probe. */
export interface ClickHouseCapabilities {
  /** `DateTime64` exists (ClickHouse ≥ 20.1). */
  readonly dateTime64: boolean;
  /** `LowCardinality(String)` usable without experimental settings. */
  readonly lowCardinality: boolean;
}

export const MODERN_CLICKHOUSE: ClickHouseCapabilities = { dateTime64: true, lowCardinality: true };
export const LEGACY_CLICKHOUSE: ClickHouseCapabilities = { dateTime64: false, lowCardinality: false };

/** Options for {@link clickhouseTableDdl}. */
export interface DdlOptions {
  /** Database name. @default 'lakehouse' */
  readonly database?: string;
  /** Table name. @default tableNameOf(kind) */
  readonly table?: string;
  /** Cluster name: emit `ON CLUSTER`, a Replicated engine and a Distributed table over it. @default none */
  readonly cluster?: string;
  /**
   * With a cluster: `ON CLUSTER` in the statements (one statement creates the table on every server). False for
   * statements run on each server in turn (the 18.16 server's DDL queue cannot parse the klines sort key back).
   * @default true
   */
  readonly onCluster?: boolean;
  /** Per column, a `DEFAULT` expression (SQL, quoted by the caller): what an insert leaving it out stores. */
  readonly columnDefaults?: Readonly<Record<string, string>>;
}

const TABLE_NAMES: Record<KindName, string> = {
  trade: 'trades', aggTrade: 'agg_trades', kline: 'klines', bookTicker: 'book_tickers',
  depthUpdate: 'depth_updates', bookSnapshot: 'book_snapshots', bookDepth: 'book_depth',
  fundingRate: 'funding_rates', markPrice: 'mark_prices', metrics: 'metrics', liquidation: 'liquidations',
  bvolIndex: 'bvol_index', eohSummary: 'eoh_summary', gap: 'gaps', deadLetter: 'dead_letters',
  indicator: 'indicators', quality: 'quality',
};

/** The serving table of a kind (`trade` → `trades`). */
export function tableNameOf(kind: KindName): string {
  return TABLE_NAMES[kind];
}

/** Quotes an identifier for ClickHouse (backticks; backticks and backslashes escaped). */
export function quoteIdentifier(name: string): string {
  return '`' + name.replace(/\\/g, '\\\\').replace(/`/g, '\\`') + '`';
}

/** The ClickHouse column type of a field. */
export function clickhouseTypeOf(field: FieldSpec, caps: ClickHouseCapabilities): string {
  let base: string;
  switch (field.type) {
    case 'string': base = field.enum !== undefined && caps.lowCardinality ? 'LowCardinality(String)' : 'String'; break;
    case 'long': base = field.name === 'version' ? 'UInt64' : 'Int64'; break;
    case 'int': base = 'Int32'; break;
    case 'double': base = 'Float64'; break;
    case 'boolean': base = 'UInt8'; break;
    case 'doubleArray': base = 'Array(Float64)'; break;
  }
  return field.nullable === true ? `Nullable(${base})` : base;
}

/** A readable time column for dashboards, computed from `eventTimeUs`. */
function eventTimeAlias(caps: ClickHouseCapabilities): string {
  return caps.dateTime64
    ? "`eventTime` DateTime64(6, 'UTC') ALIAS fromUnixTimestamp64Micro(`eventTimeUs`)"
    : "`eventTime` DateTime('UTC') ALIAS toDateTime(intDiv(`eventTimeUs`, 1000000), 'UTC')";
}

/** `CREATE TABLE IF NOT EXISTS` statements for one kind (two with a cluster: local + Distributed). */
export function clickhouseTableDdl(spec: KindSpec, caps: ClickHouseCapabilities, options: DdlOptions = {}): string[] {
  const database = options.database ?? 'lakehouse';
  const table = options.table ?? tableNameOf(spec.kind as KindName);
  const onCluster = options.cluster === undefined || options.onCluster === false ? '' : ` ON CLUSTER ${quoteIdentifier(options.cluster)}`;
  const localTable = options.cluster === undefined ? table : `${table}_local`;
  const defaults = options.columnDefaults ?? {};
  const columns = spec.fields.map((f) => `  ${quoteIdentifier(f.name)} ${clickhouseTypeOf(f, caps)}${Object.hasOwn(defaults, f.name) ? ` DEFAULT ${defaults[f.name]}` : ''}`);
  columns.push(`  ${eventTimeAlias(caps)}`);
  const engine = options.cluster === undefined
    ? 'ReplacingMergeTree(`version`)'
    : "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', `version`)";
  const statements = [
    `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(database)}.${quoteIdentifier(localTable)}${onCluster}\n(\n${columns.join(',\n')}\n)\n` +
      `ENGINE = ${engine}\nPARTITION BY toYYYYMM(toDateTime(intDiv(\`eventTimeUs\`, 1000000), 'UTC'))\n` +
      `ORDER BY (${spec.key.map(quoteIdentifier).join(', ')})`,
  ];
  if (options.cluster !== undefined) {
    statements.push(
      `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(database)}.${quoteIdentifier(table)}${onCluster} ` +
        `AS ${quoteIdentifier(database)}.${quoteIdentifier(localTable)}\n` +
        `ENGINE = Distributed(${quoteIdentifier(options.cluster)}, ${quoteIdentifier(database)}, ${quoteIdentifier(localTable)}, cityHash64(\`symbol\`))`,
    );
  }
  return statements;
}
