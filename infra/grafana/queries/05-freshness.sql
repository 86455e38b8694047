-- title: Freshness: latest event per table and symbol
-- panel: table
-- format: table
-- width: 12
-- description: The newest event time each table holds per symbol and how far behind now() it is. A stream that stops (a dead connector, a stuck serve) shows here as a growing lagSeconds. Not limited to the time range.
SELECT table, symbol, latest, dateDiff('second', latest, now()) AS lagSeconds
FROM
(
  SELECT 'trades' AS table, symbol, toDateTime(intDiv(max(eventTimeUs), 1000000)) AS latest FROM ${database}.trades GROUP BY symbol
  UNION ALL
  SELECT 'aggTrades' AS table, symbol, toDateTime(intDiv(max(eventTimeUs), 1000000)) AS latest FROM ${database}.agg_trades GROUP BY symbol
  UNION ALL
  SELECT 'klines' AS table, symbol, toDateTime(intDiv(max(closeTimeUs), 1000000)) AS latest FROM ${database}.klines GROUP BY symbol
)
ORDER BY lagSeconds DESC, table, symbol
