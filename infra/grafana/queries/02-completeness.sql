-- title: Completeness per stream (gap ledger)
-- panel: table
-- format: table
-- width: 12
-- description: From the gap ledger (gaps, FINAL: each gap in its latest state): per stream, the gaps overlapping the time range, how many are still missing data (any state but filled), the seconds they miss, and the share of the range that is not missing. A stream without gaps has no row.
SELECT
  stream,
  count() AS gaps,
  countIf(state != 'filled') AS unfilled,
  sumIf(least(toUs, rangeToUs) - greatest(fromUs, rangeFromUs), state != 'filled') / 1000000 AS missingSeconds,
  100 * (1 - missingSeconds / ((rangeToUs - rangeFromUs) / 1000000)) AS completenessPct
FROM
(
  SELECT
    stream, fromUs, toUs, state,
    toInt64(toUnixTimestamp($__fromTime)) * 1000000 AS rangeFromUs,
    toInt64(toUnixTimestamp($__toTime)) * 1000000 AS rangeToUs
  FROM ${database}.gaps FINAL
)
WHERE fromUs < rangeToUs AND toUs > rangeFromUs
GROUP BY stream, rangeFromUs, rangeToUs
ORDER BY completenessPct, stream
