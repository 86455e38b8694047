-- title: Ingest lag of live trades (receive − event time)
-- panel: timeseries
-- format: time_series
-- width: 12
-- unit: ms
-- description: For live trades (receiveTimeUs is set only by the live connectors), the time from the exchange's event time to the moment the connector received it, p50 and p99 per bucket of the panel's interval, per symbol.
SELECT
  toDateTime(intDiv(eventTimeUs, $__interval_s * 1000000) * $__interval_s) AS time,
  symbol,
  quantile(0.5)(assumeNotNull(receiveTimeUs) - eventTimeUs) / 1000 AS p50Ms,
  quantile(0.99)(assumeNotNull(receiveTimeUs) - eventTimeUs) / 1000 AS p99Ms
FROM ${database}.trades
WHERE receiveTimeUs IS NOT NULL
  AND eventTimeUs >= toUnixTimestamp($__fromTime) * 1000000
  AND eventTimeUs < toUnixTimestamp($__toTime) * 1000000
GROUP BY time, symbol
ORDER BY time, symbol
