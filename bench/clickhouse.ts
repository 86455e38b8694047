/**
 * Zip → ClickHouse server benchmark (`npm run bench -- clickhouse`), against the server named by CLICKHOUSE_URL
 * (`bash infra/local/infra.sh up clickhouse; eval "$(bash infra/local/infra.sh env)"`; without it, one result
 * with a note). On the 2,000,000-row spot trades file of the archive benchmark:
 *  - ours: `lakehouse backfill --sink clickhouse` of the zip in a child process (startup, migrations, unzip,
 *    parse, validate, RowBinary encoding, inserts with dedup tokens where the server has them, the manifest),
 *    rows/s to the end;
 *  - the server's own ingest, the target's baseline: the same rows as the serving table holds them (every
 *    column: lineage, version, …), rendered as CSV beforehand (not timed) and sent as one `INSERT … FORMAT CSV`
 *    into the same serving table (created by the same migrations) — the server parsing CSV and storing the
 *    rows, with no pipeline in front;
 *  - for context, the raw archive CSV (7 columns, unzipped beforehand) into a plain MergeTree table of those
 *    columns: the server's cost of the bare file, without lineage columns or the serving table's sort key.
 * Ratio = ours / the server's CSV ingest into the serving table, against 0.7. Fresh databases; the two baseline
 * databases are dropped before ours runs (their merges would share its cores), ours after.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, rmSync, statSync } from 'node:fs';
import { appendFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArchiveFile } from '../connectors/binance-archive/parse-archive-file.js';
import { createClickHouseClient } from '../connectors/clickhouse/config.js';
import { migrate } from '../connectors/clickhouse/migrate.js';
import { probeCapabilities } from '../connectors/clickhouse/probe-capabilities.js';
import { quoteIdentifier } from '../schemas/clickhouse-ddl.js';
import { TRADE } from '../schemas/records.js';
import { ROOT, backfillChild, ensure, fileFor } from './archive.js';
import { csvOf, timeMs } from './clickhouse-insert.js';
import type { BenchResult } from './result.js';

const TARGET_RATIO = 0.7;
const ROWS = 2_000_000;

/** Runs the zip → ClickHouse benchmark. */
export async function benchClickHouse(url = process.env.CLICKHOUSE_URL): Promise<BenchResult[]> {
  const name = `archive zip → ClickHouse server, trades (${ROWS} rows), vs the server's own CSV ingest of the same rows`;
  if (url === undefined || url === '') {
    return [{ name, value: 0, unit: 'ratio', note: 'not measured: CLICKHOUSE_URL not set (bash infra/local/infra.sh up clickhouse; eval "$(bash infra/local/infra.sh env)")' }];
  }
  const trades = fileFor('trades', '2025-07-01');
  const zip = await ensure(ROOT, trades, ROWS);
  const rawCsv = join(tmpdir(), `lakehouse-bench-trades-${process.pid}.csv`);
  const servingCsv = join(tmpdir(), `lakehouse-bench-serving-${process.pid}.csv`);
  execFileSync('bash', ['-c', `unzip -p '${zip}' > '${rawCsv}'`]);
  // The rows as the pipeline makes them (same parser, version and lineage), as CSV of the serving table.
  await writeFile(servingCsv, '');
  for await (const chunk of parseArchiveFile(zip, statSync(zip).size, trades, { version: 1 })) {
    await appendFile(servingCsv, csvOf(chunk.records as unknown as Record<string, unknown>[], TRADE.fields).join(''));
  }
  const stamp = Date.now().toString(36);
  const [ours, baseline, raw] = [`bench_zip_${stamp}`, `bench_csv_${stamp}`, `bench_raw_${stamp}`];
  const client = await createClickHouseClient({ url, username: process.env.CLICKHOUSE_USER, password: process.env.CLICKHOUSE_PASSWORD });
  try {
    const features = await probeCapabilities(client);
    await migrate(client, { database: baseline, kinds: ['trade'], features });
    const columns = TRADE.fields.map((f) => quoteIdentifier(f.name));
    const servingSeconds = (await timeMs(() => client.insert({
      table: `${quoteIdentifier(baseline)}.trades`, format: 'CSV', columns: columns as [string, ...string[]], values: createReadStream(servingCsv),
    }))) / 1000;
    await client.command({ query: `CREATE DATABASE ${quoteIdentifier(raw)}` });
    await client.command({
      query: `CREATE TABLE ${quoteIdentifier(raw)}.trades_csv (id UInt64, price Float64, qty Float64, quote_qty Float64, time UInt64, is_buyer_maker String, is_best_match String) ENGINE = MergeTree ORDER BY id`,
    });
    const rawSeconds = (await timeMs(() => client.insert({ table: `${quoteIdentifier(raw)}.trades_csv`, format: 'CSV', values: createReadStream(rawCsv) }))) / 1000;
    // Their parts' background merges would otherwise run during ours, on the same cores.
    for (const database of [baseline, raw]) await client.command({ query: `DROP DATABASE ${quoteIdentifier(database)}` });
    const run = backfillChild(ROOT, trades, ['--sink', 'clickhouse', '--clickhouse-url', url, '--clickhouse-database', ours]);
    const loaded = await client.query({ query: `SELECT count() AS n FROM ${quoteIdentifier(ours)}.trades`, format: 'JSONEachRow' }).then((r) => r.json<{ n: string }>());
    const servingRate = ROWS / servingSeconds;
    const oursRate = run.rows / run.seconds;
    return [
      { name: 'clickhouse: server CSV ingest into the serving table (same rows, every column)', value: Math.round(servingRate), unit: 'rows/s', note: `${ROWS} rows in ${servingSeconds.toFixed(2)} s, ClickHouse ${features.version} (${url})` },
      { name: 'clickhouse: server CSV ingest of the bare archive rows (7 columns, plain MergeTree)', value: Math.round(ROWS / rawSeconds), unit: 'rows/s', note: `context only: ${ROWS} rows in ${rawSeconds.toFixed(2)} s` },
      {
        name, value: Math.round(oursRate), unit: 'rows/s', target: Math.round(TARGET_RATIO * servingRate), ratio: oursRate / servingRate / TARGET_RATIO,
        note: `ours/server = ${(oursRate / servingRate).toFixed(2)} (target ${TARGET_RATIO}; ratio column = that / ${TARGET_RATIO}); backfill child incl. startup, ${run.rows} rows in ${run.seconds.toFixed(2)} s, ${loaded[0]?.n ?? '?'} in the table; peak RSS ${Math.round(run.maxRssMb)} MB`,
      },
    ];
  } finally {
    rmSync(rawCsv, { force: true });
    rmSync(servingCsv, { force: true });
    for (const database of [ours, baseline, raw]) await client.command({ query: `DROP DATABASE IF EXISTS ${quoteIdentifier(database)}` }).catch(() => undefined);
    await client.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const result of await benchClickHouse()) console.log(JSON.stringify(result));
}
