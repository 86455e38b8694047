/**
 * The library entry (`import { fromBinanceArchive, dedupe, toClickHouse } from 'crypto-lakehouse'`): the
 * public sources, operators and sinks with their option types, and the record vocabulary — the parts the
 * CLI's pipelines are built from (docs/ARCHITECTURE.md). Modules not re-exported here are internal.
 */

// Records, ids, time, versions, identity keys, errors, and the schemas derived from the field tables.
export * from '../schemas/index.js';

// Operators on event time.
export * from '../operators/index.js';

// Batch layer: plan archive files, resolve them against a listing, load them.
export {
  fromBinanceArchive, type ArchiveEvent, type ArchiveFileLoad, type FileOutcome, type FromBinanceArchiveOptions,
} from '../connectors/binance-archive/from-binance-archive.js';
export { archiveKey, parseTypeRequests, planArchiveFiles, type ArchiveFile, type ArchiveRequest, type TypeRequest } from '../connectors/binance-archive/plan.js';
export { resolveAvailability, unlistedPlan, type MissingFile, type PlannedFile, type ResolvedPlan } from '../connectors/binance-archive/availability.js';
export type { ArchiveSource } from '../connectors/binance-archive/source.js';
export { dirSource } from '../connectors/binance-archive/source-dir.js';
export { BINANCE_ARCHIVE_URL, httpSource, type HttpSourceOptions } from '../connectors/binance-archive/source-http.js';
export { s3Source, type S3SourceLocation } from '../connectors/binance-archive/source-s3.js';
export { openManifest, type Manifest } from '../connectors/binance-archive/manifest.js';

// Speed layer: live streams (raw WebSocket + REST repair, or ccxt) and the Binance-compatible replay server.
export { fromBinanceLive, newLiveStats, type BinanceLiveOptions, type LiveStats } from '../connectors/binance-live/from-binance-live.js';
export { fromCcxt, type CcxtSourceOptions } from '../connectors/binance-live/from-ccxt.js';
export { LIVE_MARKETS, type LiveMarket } from '../connectors/binance-live/live-context.js';
export { parseLiveStreamType, type LiveStreamType } from '../connectors/binance-live/live-streams.js';
export { RestLimiter, type RestLimiterOptions } from '../connectors/binance-live/rest-limiter.js';
export { FlowGate } from '../connectors/plumbing/flow-gate.js';
export { startReplayServer, type ReplayServer, type ReplayServerOptions } from '../connectors/binance-replay/replay-server.js';
export { feedFromCapture, type FeedSource, type ReplayFeed } from '../connectors/binance-replay/replay-feed.js';
export { feedFromArchiveFile } from '../connectors/binance-replay/archive-csv.js';
export { archiveSource } from '../connectors/binance-replay/archive-stream.js';

// Sinks (`RecordBatch` → `WriteAck`) and the sources that read back what they wrote.
export { batchesByKind, stageEndBatch, type EncodedRows, type RecordBatch, type RowsEncoder, type SinkEncoding, type Stage, type WriteAck } from '../connectors/sink.js';
export { batchingSink, type BatchingSink } from '../connectors/batching-sink.js';
export { toParquetLake, type ParquetLakeOptions } from '../connectors/parquet/to-parquet-lake.js';
export { fromParquetLake, type FromParquetLakeOptions } from '../connectors/parquet/from-parquet-lake.js';
export { queryLake, type LakeRow, type QueryLakeOptions } from '../connectors/parquet/query-lake.js';
export { toClickHouse, type ToClickHouseOptions } from '../connectors/clickhouse/to-clickhouse.js';
export { createClickHouseClient, type ClickHouseConfig } from '../connectors/clickhouse/config.js';
export { migrate, type MigrateOptions } from '../connectors/clickhouse/migrate.js';
export { toKafka, type ToKafkaOptions } from '../connectors/kafka/to-kafka.js';
export { fromKafka, type FromKafkaOptions, type KafkaBatch } from '../connectors/kafka/from-kafka.js';
export type { KafkaConfig } from '../connectors/kafka/config.js';
export type { RegistryConfig } from '../connectors/kafka/avro-serde.js';
export { DLQ_TOPIC, GAPS_TOPIC, topicFor } from '../connectors/kafka/topic-for.js';
export type { S3Config } from '../connectors/s3/config.js';
export { retry, type BackoffOptions } from '../connectors/plumbing/backoff.js';
