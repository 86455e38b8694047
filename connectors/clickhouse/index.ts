/** ClickHouse connector: clients (server or embedded chdb), capability probe, migrations, the sink, SQL quoting. */
export * from './config.js';
export * from './probe-capabilities.js';
export * from './migrate.js';
export * from './map-tsv-row.js';
export * from './map-row-binary.js';
export * from './sql-literal.js';
export * from './to-clickhouse.js';
export * from './row-binary-encoding.js';
