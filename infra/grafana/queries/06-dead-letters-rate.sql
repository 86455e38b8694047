-- title: Dead letters per interval, by error
-- panel: timeseries
-- format: time_series
-- width: 12
-- description: Rows and messages that could not be used (malformed, conflicting duplicates, failed validation, undecodable Kafka values), counted per bucket of the panel's interval by error name.
SELECT
  toDateTime(intDiv(eventTimeUs, $__interval_s * 1000000) * $__interval_s) AS time,
  errorName,
  count() AS deadLetters
FROM ${database}.dead_letters FINAL
WHERE eventTimeUs >= toUnixTimestamp($__fromTime) * 1000000
  AND eventTimeUs < toUnixTimestamp($__toTime) * 1000000
GROUP BY time, errorName
ORDER BY time, errorName
