CREATE TABLE IF NOT EXISTS `lakehouse`.`funding_rates`
(
  `exchange` LowCardinality(String),
  `market` LowCardinality(String),
  `symbol` String,
  `eventTimeUs` Int64,
  `source` LowCardinality(String),
  `receiveTimeUs` Nullable(Int64),
  `ingestId` String,
  `version` UInt64,
  `fundingTimeUs` Int64,
  `calcTimeUs` Nullable(Int64),
  `fundingRate` Float64,
  `fundingIntervalHours` Nullable(Int32),
  `markPrice` Nullable(Float64),
  `eventTime` DateTime64(6, 'UTC') ALIAS fromUnixTimestamp64Micro(`eventTimeUs`)
)
ENGINE = ReplacingMergeTree(`version`)
PARTITION BY toYYYYMM(toDateTime(intDiv(`eventTimeUs`, 1000000), 'UTC'))
ORDER BY (`market`, `symbol`, `fundingTimeUs`);
