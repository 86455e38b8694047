CREATE TABLE IF NOT EXISTS `lakehouse`.`eoh_summary`
(
  `exchange` LowCardinality(String),
  `market` LowCardinality(String),
  `symbol` String,
  `eventTimeUs` Int64,
  `source` LowCardinality(String),
  `receiveTimeUs` Nullable(Int64),
  `ingestId` String,
  `version` UInt64,
  `hour` Int32,
  `underlying` String,
  `optionType` String,
  `strike` Nullable(Float64),
  `open` Nullable(Float64),
  `high` Nullable(Float64),
  `low` Nullable(Float64),
  `close` Nullable(Float64),
  `volumeContracts` Nullable(Float64),
  `volumeUsdt` Nullable(Float64),
  `bestBidPrice` Nullable(Float64),
  `bestAskPrice` Nullable(Float64),
  `bestBidQty` Nullable(Float64),
  `bestAskQty` Nullable(Float64),
  `bestBuyIv` Nullable(Float64),
  `bestSellIv` Nullable(Float64),
  `markPrice` Nullable(Float64),
  `markIv` Nullable(Float64),
  `delta` Nullable(Float64),
  `gamma` Nullable(Float64),
  `vega` Nullable(Float64),
  `theta` Nullable(Float64),
  `openInterestContracts` Nullable(Float64),
  `openInterestUsdt` Nullable(Float64),
  `eventTime` DateTime64(6, 'UTC') ALIAS fromUnixTimestamp64Micro(`eventTimeUs`)
)
ENGINE = ReplacingMergeTree(`version`)
PARTITION BY toYYYYMM(toDateTime(intDiv(`eventTimeUs`, 1000000), 'UTC'))
ORDER BY (`market`, `symbol`, `eventTimeUs`);
