-- title: Gap ledger
-- panel: table
-- format: table
-- width: 12
-- description: The gaps overlapping the time range in their latest state (FINAL): what is missing, why, and what became of it (open, filled, partial, unfillable, reported).
SELECT
  stream,
  toDateTime(intDiv(fromUs, 1000000)) AS fromTime,
  toDateTime(intDiv(toUs, 1000000)) AS toTime,
  (toUs - fromUs) / 1000000 AS seconds,
  fromId,
  toId,
  cause,
  state,
  filledCount,
  detail
FROM ${database}.gaps FINAL
WHERE fromUs < toUnixTimestamp($__toTime) * 1000000
  AND toUs > toUnixTimestamp($__fromTime) * 1000000
ORDER BY fromUs DESC
LIMIT 500
