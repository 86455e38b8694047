CREATE TABLE IF NOT EXISTS `lakehouse`.`quality`
(
  `exchange` LowCardinality(String),
  `market` LowCardinality(String),
  `symbol` String,
  `eventTimeUs` Int64,
  `source` LowCardinality(String),
  `receiveTimeUs` Nullable(Int64),
  `ingestId` String,
  `version` UInt64,
  `stream` String,
  `dataType` String,
  `interval` Nullable(String),
  `day` String,
  `expected` Int64,
  `covered` Int64,
  `completeness` Float64,
  `gapCount` Int64,
  `missingByCause` String,
  `duplicates` Int64,
  `deadLetters` Int64,
  `lateRecords` Int64,
  `eventTime` DateTime64(6, 'UTC') ALIAS fromUnixTimestamp64Micro(`eventTimeUs`)
)
ENGINE = ReplacingMergeTree(`version`)
PARTITION BY toYYYYMM(toDateTime(intDiv(`eventTimeUs`, 1000000), 'UTC'))
ORDER BY (`stream`, `eventTimeUs`);
