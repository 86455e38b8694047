-- title: OHLCV — ${symbol} ${interval}
-- panel: candlestick
-- format: time_series
-- width: 24
-- description: Bars of the klines table: the archive's own klines and the bars serve resamples (source = resample). FINAL keeps one row per key, the highest version, as every reader of these tables must.
SELECT
  toDateTime(intDiv(openTimeUs, 1000000)) AS time,
  open,
  high,
  low,
  close,
  volume
FROM ${database}.klines FINAL
WHERE symbol = '${symbol}'
  AND `interval` = '${interval}'
  AND priceKind = 'trade'
  AND source IN ('archive', 'resample')
  AND openTimeUs >= toUnixTimestamp($__fromTime) * 1000000
  AND openTimeUs < toUnixTimestamp($__toTime) * 1000000
ORDER BY time
