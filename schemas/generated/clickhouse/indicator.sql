CREATE TABLE IF NOT EXISTS `lakehouse`.`indicators`
(
  `exchange` LowCardinality(String),
  `market` LowCardinality(String),
  `symbol` String,
  `eventTimeUs` Int64,
  `source` LowCardinality(String),
  `receiveTimeUs` Nullable(Int64),
  `ingestId` String,
  `version` UInt64,
  `priceKind` LowCardinality(String),
  `interval` String,
  `openTimeUs` Int64,
  `indicator` LowCardinality(String),
  `params` String,
  `warmUp` UInt8,
  `value` Nullable(Float64),
  `signal` Nullable(Float64),
  `histogram` Nullable(Float64),
  `upper` Nullable(Float64),
  `lower` Nullable(Float64),
  `barCount` Int64,
  `eventTime` DateTime64(6, 'UTC') ALIAS fromUnixTimestamp64Micro(`eventTimeUs`)
)
ENGINE = ReplacingMergeTree(`version`)
PARTITION BY toYYYYMM(toDateTime(intDiv(`eventTimeUs`, 1000000), 'UTC'))
ORDER BY (`market`, `symbol`, `priceKind`, `interval`, `indicator`, `params`, `openTimeUs`);
