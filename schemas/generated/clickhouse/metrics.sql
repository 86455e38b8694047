CREATE TABLE IF NOT EXISTS `lakehouse`.`metrics`
(
  `exchange` LowCardinality(String),
  `market` LowCardinality(String),
  `symbol` String,
  `eventTimeUs` Int64,
  `source` LowCardinality(String),
  `receiveTimeUs` Nullable(Int64),
  `ingestId` String,
  `version` UInt64,
  `sumOpenInterest` Nullable(Float64),
  `sumOpenInterestValue` Nullable(Float64),
  `countTopTraderLongShortRatio` Nullable(Float64),
  `sumTopTraderLongShortRatio` Nullable(Float64),
  `countLongShortRatio` Nullable(Float64),
  `sumTakerLongShortVolRatio` Nullable(Float64),
  `eventTime` DateTime64(6, 'UTC') ALIAS fromUnixTimestamp64Micro(`eventTimeUs`)
)
ENGINE = ReplacingMergeTree(`version`)
PARTITION BY toYYYYMM(toDateTime(intDiv(`eventTimeUs`, 1000000), 'UTC'))
ORDER BY (`market`, `symbol`, `eventTimeUs`);
