CREATE TABLE IF NOT EXISTS `lakehouse`.`gaps`
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
  `fromUs` Int64,
  `toUs` Int64,
  `fromId` Nullable(Int64),
  `toId` Nullable(Int64),
  `cause` LowCardinality(String),
  `state` LowCardinality(String),
  `filledCount` Int64,
  `detail` Nullable(String),
  `eventTime` DateTime64(6, 'UTC') ALIAS fromUnixTimestamp64Micro(`eventTimeUs`)
)
ENGINE = ReplacingMergeTree(`version`)
PARTITION BY toYYYYMM(toDateTime(intDiv(`eventTimeUs`, 1000000), 'UTC'))
ORDER BY (`stream`, `fromUs`, `toUs`);
