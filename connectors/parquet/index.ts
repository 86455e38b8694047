/** Parquet lake connector: the `toParquetLake` sink, the lake layout, compaction, and DuckDB queries over the lake. */
export * from './compact-lake.js';
export * from './compact-lake-dir.js';
export * from './encode-parquet.js';
export * from './lake-path.js';
export * from './lake-store.js';
export * from './lake-store-for.js';
export * from './to-parquet-lake.js';
export * from './parquet-columns-encoding.js';
export * from './query-lake.js';
