CREATE TABLE IF NOT EXISTS `lakehouse`.`trades`
(
  `exchange` LowCardinality(String),
  `market` LowCardinality(String),
  `symbol` String,
  `eventTimeUs` Int64,
  `source` LowCardinality(String),
  `receiveTimeUs` Nullable(Int64),
  `ingestId` String,
  `version` UInt64,
  `tradeId` Int64,
  `price` Float64,
  `qty` Nullable(Float64),
  `quoteQty` Nullable(Float64),
  `contracts` Nullable(Float64),
  `baseQty` Nullable(Float64),
  `isBuyerMaker` UInt8,
  `isBestMatch` Nullable(UInt8),
  `eventTime` DateTime64(6, 'UTC') ALIAS fromUnixTimestamp64Micro(`eventTimeUs`)
)
ENGINE = ReplacingMergeTree(`version`)
PARTITION BY toYYYYMM(toDateTime(intDiv(`eventTimeUs`, 1000000), 'UTC'))
ORDER BY (`market`, `symbol`, `tradeId`);
