CREATE TABLE IF NOT EXISTS `lakehouse`.`depth_updates`
(
  `exchange` LowCardinality(String),
  `market` LowCardinality(String),
  `symbol` String,
  `eventTimeUs` Int64,
  `source` LowCardinality(String),
  `receiveTimeUs` Nullable(Int64),
  `ingestId` String,
  `version` UInt64,
  `firstUpdateId` Int64,
  `finalUpdateId` Int64,
  `prevFinalUpdateId` Nullable(Int64),
  `transactionTimeUs` Nullable(Int64),
  `bidPrices` Array(Float64),
  `bidQtys` Array(Float64),
  `askPrices` Array(Float64),
  `askQtys` Array(Float64),
  `eventTime` DateTime64(6, 'UTC') ALIAS fromUnixTimestamp64Micro(`eventTimeUs`)
)
ENGINE = ReplacingMergeTree(`version`)
PARTITION BY toYYYYMM(toDateTime(intDiv(`eventTimeUs`, 1000000), 'UTC'))
ORDER BY (`market`, `symbol`, `finalUpdateId`);
