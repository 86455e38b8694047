CREATE TABLE IF NOT EXISTS `lakehouse`.`bvol_index`
(
  `exchange` LowCardinality(String),
  `market` LowCardinality(String),
  `symbol` String,
  `eventTimeUs` Int64,
  `source` LowCardinality(String),
  `receiveTimeUs` Nullable(Int64),
  `ingestId` String,
  `version` UInt64,
  `baseAsset` String,
  `quoteAsset` String,
  `indexValue` Float64,
  `eventTime` DateTime64(6, 'UTC') ALIAS fromUnixTimestamp64Micro(`eventTimeUs`)
)
ENGINE = ReplacingMergeTree(`version`)
PARTITION BY toYYYYMM(toDateTime(intDiv(`eventTimeUs`, 1000000), 'UTC'))
ORDER BY (`market`, `symbol`, `eventTimeUs`);
