-- title: Data quality per stream and day (lakehouse quality)
-- panel: table
-- format: table
-- width: 24
-- description: The scores `lakehouse quality --sink clickhouse` wrote (quality, FINAL: the latest score of each stream and day) for the days in the time range, lowest completeness first: alert on completeness below your threshold. missingByCause names the causes of the missing windows or ids.
SELECT
  day,
  stream,
  100 * completeness AS completenessPct,
  covered,
  expected,
  gapCount,
  missingByCause,
  duplicates,
  deadLetters,
  lateRecords
FROM ${database}.quality FINAL
WHERE eventTimeUs >= intDiv(toInt64(toUnixTimestamp($__fromTime)), 86400) * 86400000000
  AND eventTimeUs < toInt64(toUnixTimestamp($__toTime)) * 1000000
ORDER BY completeness, day, stream
LIMIT 500
