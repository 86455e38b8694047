/**
 * `npm run demo`: the README's first command. Generates a small Binance-layout archive into ./demo-archive
 * (once), runs `lakehouse backfill` from it into the embedded default (the Parquet lake in ./lake), then
 * prints what landed: rows per lake table and a sample query through DuckDB.
 */
import { existsSync } from 'node:fs';
import { main } from '../../pipelines/cli.js';
import { queryLake } from '../../connectors/parquet/query-lake.js';
import { generateArchiveMirror } from './archive-mirror.js';

const ARCHIVE = './demo-archive';
const LAKE = './lake';
const DAYS = ['--from', '2025-07-01', '--to', '2025-07-03'];

if (!existsSync(ARCHIVE)) {
  process.stdout.write(`generating a small archive in ${ARCHIVE} (data.binance.vision layout, .CHECKSUM files)\n`);
  await generateArchiveMirror(ARCHIVE, { markets: ['spot'], symbols: ['BTCUSDT', 'ETHUSDT'], types: ['klines:1m', 'trades', 'aggTrades'], fromDay: '2025-07-01', toDay: '2025-07-03', eventsPerDay: 2000 });
  await generateArchiveMirror(ARCHIVE, { markets: ['um'], symbols: ['BTCUSDT'], types: ['klines:1h', 'fundingRate', 'metrics'], fromDay: '2025-07-01', toDay: '2025-07-03' });
}
const context = { env: process.env, stdout: process.stdout, stderr: process.stderr, signal: new AbortController().signal };
const base = ['backfill', '--archive', ARCHIVE, '--lake', LAKE, ...DAYS];
let status = await main([...base, '--market', 'spot', '--symbols', 'BTCUSDT,ETHUSDT', '--types', 'klines:1m,trades,aggTrades'], context);
status = Math.max(status, await main([...base, '--market', 'um', '--symbols', 'BTCUSDT', '--types', 'klines:1h,fundingRate,metrics'], context));

const counts = await queryLake({ root: LAKE, sql: `SELECT 'klines_1m' AS "table", count(*) AS "rows" FROM klines_1m UNION ALL SELECT 'trades', count(*) FROM trades UNION ALL SELECT 'aggTrades', count(*) FROM aggTrades UNION ALL SELECT 'klines_1h', count(*) FROM klines_1h UNION ALL SELECT 'fundingRate', count(*) FROM fundingRate UNION ALL SELECT 'metrics', count(*) FROM metrics ORDER BY 1` });
process.stdout.write('\nrows per lake table:\n');
for (const row of counts) process.stdout.write(`  ${String(row.table).padEnd(12)} ${String(row.rows)}\n`);
const sql = `SELECT symbol, date, count(*) AS bars, min(low) AS low, max(high) AS high, sum(volume) AS volume FROM klines_1m WHERE market = 'spot' GROUP BY ALL ORDER BY symbol, date`;
process.stdout.write(`\nsample query: ${sql}\n`);
for (const row of await queryLake({ root: LAKE, sql })) process.stdout.write(`  ${JSON.stringify(row)}\n`);
process.exitCode = status;
