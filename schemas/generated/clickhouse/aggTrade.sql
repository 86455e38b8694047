CREATE TABLE IF NOT EXISTS `lakehouse`.`agg_trades`
(
  `exchange` LowCardinality(String),
  `market` LowCardinality(String),
  `symbol` String,
  `eventTimeUs` Int64,
  `source` LowCardinality(String),
  `receiveTimeUs` Nullable(Int64),
  `ingestId` String,
  `version` UInt64,
  `aggTradeId` Int64,
  `price` Float64,
  `qty` Nullable(Float64),
  `contracts` Nullable(Float64),
  `firstTradeId` Int64,
  `lastTradeId` Int64,
  `isBuyerMaker` UInt8,
  `isBestMatch` Nullable(UInt8),
  `eventTime` DateTime64(6, 'UTC') ALIAS fromUnixTimestamp64Micro(`eventTimeUs`)
)
ENGINE = ReplacingMergeTree(`version`)
PARTITION BY toYYYYMM(toDateTime(intDiv(`eventTimeUs`, 1000000), 'UTC'))
ORDER BY (`market`, `symbol`, `aggTradeId`);
