-- title: Latest dead letters
-- panel: table
-- format: table
-- width: 24
-- description: The newest dead letters in the time range: where each came from (ingest id, archive file and line, or topic/partition/offset), why, and the start of the raw input.
SELECT
  toDateTime(intDiv(eventTimeUs, 1000000)) AS time,
  source,
  symbol,
  errorName,
  reason,
  ingestId,
  originFile,
  originLine,
  substring(raw, 1, 200) AS rawStart
FROM ${database}.dead_letters FINAL
WHERE eventTimeUs >= toUnixTimestamp($__fromTime) * 1000000
  AND eventTimeUs < toUnixTimestamp($__toTime) * 1000000
ORDER BY eventTimeUs DESC
LIMIT 200
