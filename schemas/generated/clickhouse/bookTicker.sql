CREATE TABLE IF NOT EXISTS `lakehouse`.`book_tickers`
(
  `exchange` LowCardinality(String),
  `market` LowCardinality(String),
  `symbol` String,
  `eventTimeUs` Int64,
  `source` LowCardinality(String),
  `receiveTimeUs` Nullable(Int64),
  `ingestId` String,
  `version` UInt64,
  `updateId` Int64,
  `bidPrice` Float64,
  `bidQty` Float64,
  `askPrice` Float64,
  `askQty` Float64,
  `transactionTimeUs` Nullable(Int64),
  `eventTime` DateTime64(6, 'UTC') ALIAS fromUnixTimestamp64Micro(`eventTimeUs`)
)
ENGINE = ReplacingMergeTree(`version`)
PARTITION BY toYYYYMM(toDateTime(intDiv(`eventTimeUs`, 1000000), 'UTC'))
ORDER BY (`market`, `symbol`, `updateId`);
