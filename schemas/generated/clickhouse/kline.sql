CREATE TABLE IF NOT EXISTS `lakehouse`.`klines`
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
  `closeTimeUs` Int64,
  `open` Float64,
  `high` Float64,
  `low` Float64,
  `close` Float64,
  `volume` Nullable(Float64),
  `quoteVolume` Nullable(Float64),
  `contracts` Nullable(Float64),
  `baseVolume` Nullable(Float64),
  `tradeCount` Nullable(Int64),
  `takerBuyVolume` Nullable(Float64),
  `takerBuyQuoteVolume` Nullable(Float64),
  `takerBuyContracts` Nullable(Float64),
  `takerBuyBaseVolume` Nullable(Float64),
  `isClosed` UInt8,
  `eventTime` DateTime64(6, 'UTC') ALIAS fromUnixTimestamp64Micro(`eventTimeUs`)
)
ENGINE = ReplacingMergeTree(`version`)
PARTITION BY toYYYYMM(toDateTime(intDiv(`eventTimeUs`, 1000000), 'UTC'))
ORDER BY (`market`, `symbol`, `priceKind`, `interval`, `openTimeUs`);
