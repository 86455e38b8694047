CREATE TABLE IF NOT EXISTS `lakehouse`.`liquidations`
(
  `exchange` LowCardinality(String),
  `market` LowCardinality(String),
  `symbol` String,
  `eventTimeUs` Int64,
  `source` LowCardinality(String),
  `receiveTimeUs` Nullable(Int64),
  `ingestId` String,
  `version` UInt64,
  `side` String,
  `orderType` String,
  `timeInForce` String,
  `price` Float64,
  `avgPrice` Nullable(Float64),
  `origQty` Float64,
  `lastFilledQty` Nullable(Float64),
  `filledAccumulatedQty` Nullable(Float64),
  `orderStatus` String,
  `eventTime` DateTime64(6, 'UTC') ALIAS fromUnixTimestamp64Micro(`eventTimeUs`)
)
ENGINE = ReplacingMergeTree(`version`)
PARTITION BY toYYYYMM(toDateTime(intDiv(`eventTimeUs`, 1000000), 'UTC'))
ORDER BY (`market`, `symbol`, `eventTimeUs`, `side`, `price`, `origQty`);
