CREATE TABLE IF NOT EXISTS `lakehouse`.`mark_prices`
(
  `exchange` LowCardinality(String),
  `market` LowCardinality(String),
  `symbol` String,
  `eventTimeUs` Int64,
  `source` LowCardinality(String),
  `receiveTimeUs` Nullable(Int64),
  `ingestId` String,
  `version` UInt64,
  `markPrice` Float64,
  `indexPrice` Nullable(Float64),
  `estimatedSettlePrice` Nullable(Float64),
  `fundingRate` Nullable(Float64),
  `nextFundingTimeUs` Nullable(Int64),
  `eventTime` DateTime64(6, 'UTC') ALIAS fromUnixTimestamp64Micro(`eventTimeUs`)
)
ENGINE = ReplacingMergeTree(`version`)
PARTITION BY toYYYYMM(toDateTime(intDiv(`eventTimeUs`, 1000000), 'UTC'))
ORDER BY (`market`, `symbol`, `eventTimeUs`);
