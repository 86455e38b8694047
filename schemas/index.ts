/** The shared vocabulary: record kinds, ids, time, decimals, versions, errors and derived schemas. */
export * from './errors.js';
export * from './time.js';
export * from './interval.js';
export * from './decimal.js';
export * from './fields.js';
export * from './ids.js';
export * from './records.js';
export * from './version.js';
export * from './identity.js';
export * from './avro.js';
export * from './clickhouse-ddl.js';
export * from './parquet-schema.js';
