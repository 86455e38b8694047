-- variable: symbol
-- description: The symbols that have bars.
SELECT DISTINCT symbol FROM ${database}.klines ORDER BY symbol
