/**
 * The Grafana dashboard (infra/grafana): the committed JSON is what infra/grafana/dashboard.ts generates from
 * the SQL files, and every panel holds exactly one file's SQL. Then every panel's and variable's SQL runs on the
 * real ClickHouse server (18.16 locally: its old dialect is the one the SQL must keep to) over representative
 * data in a database of its own: a day of archive klines and trades loaded by `backfill --sink clickhouse`
 * from a generated archive, one malformed archive line (a real dead letter), resampled 5m bars, live trades with
 * a receive time, and a live gap that could not be filled. Each query must return rows.
 *
 * Grafana's macros are expanded by {@link expandMacros} as the grafana-clickhouse-datasource plugin does:
 * `$__fromTime` / `$__toTime` → `toDateTime(<unix seconds>)`, `$__interval_s` → seconds, and template
 * variables `${name}` → their value, verbatim (quoted in the SQL where they are strings). A macro it does not
 * know fails the test, so a new one cannot slip into the SQL untested.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { from, lastValueFrom, toArray } from 'rxjs';
import { createClickHouseClient } from '../../connectors/clickhouse/config.js';
import { toClickHouse } from '../../connectors/clickhouse/to-clickhouse.js';
import { DASHBOARD_FILE, dashboardText, readQueries } from '../../infra/grafana/dashboard.js';
import { backfillCommand } from '../../pipelines/backfill.js';
import { makeVersion, type AnyRecord, type GapRecord } from '../../schemas/index.js';
import { kline, trade } from '../operators/support.js';
import { generateArchiveMirror, writeArchiveFile } from '../support/archive-mirror.js';
import { sampleRecord } from '../support/sample-records.js';
import { clickhouseService } from '../support/services.js';
import { removeTempDirs, runBackfillJson, tempDir } from '../pipelines/backfill-support.js';

after(removeTempDirs);

const RUN = `gd${Date.now().toString(36)}${process.pid}`;
const SYMBOL = `G${RUN.toUpperCase()}USDT`;
const DAY_S = Date.UTC(2025, 6, 1) / 1000;
const DAY_US = DAY_S * 1_000_000;

/** What a panel's macros and variables stand for in one run. */
interface MacroValues { readonly fromS: number; readonly toS: number; readonly intervalS: number; readonly vars: Readonly<Record<string, string>> }

/** The SQL with Grafana's macros and template variables replaced (see the file comment); throws on any other `$`. */
function expandMacros(sql: string, v: MacroValues): string {
  const out = sql
    .replaceAll('$__fromTime', `toDateTime(${v.fromS})`)
    .replaceAll('$__toTime', `toDateTime(${v.toS})`)
    .replaceAll('$__interval_s', String(v.intervalS))
    .replace(/\$\{(\w+)\}/g, (whole, name: string) => v.vars[name] ?? whole);
  assert.ok(!out.includes('$'), `a macro or variable left unexpanded in:\n${out}`);
  return out;
}

test('the dashboard JSON is generated from the SQL files, one file per panel and variable', () => {
  const queries = readQueries();
  const committed = readFileSync(DASHBOARD_FILE, 'utf8');
  assert.equal(committed, dashboardText(queries), 'infra/grafana/lakehouse-dashboard.json is stale: npm run gen:dashboard');
  const json = JSON.parse(committed) as { panels: { title: string; targets: { rawSql: string }[] }[]; templating: { list: { name: string; query: unknown }[] } };
  const inJson = [...json.panels.flatMap((p) => p.targets.map((t) => t.rawSql)), ...json.templating.list.filter((v) => v.name === 'symbol').map((v) => v.query)];
  assert.deepEqual(inJson.sort(), queries.map((q) => q.sql).sort());
  assert.ok(json.panels.length >= 6, 'OHLCV, completeness, gap ledger, ingest lag, freshness, dead letters');
});

test('every panel of the dashboard runs on the real ClickHouse and returns rows', { timeout: 300_000 }, async (t) => {
  const service = await clickhouseService();
  if (service === undefined) return t.skip('ClickHouse not configured (CLICKHOUSE_URL)');
  const database = `${RUN}_db`;
  const client = await createClickHouseClient(service);
  t.after(async () => { await client.command({ query: `DROP DATABASE IF EXISTS ${database}` }); await client.close(); });

  // A day of archive klines and trades, with one malformed trade line, through the real backfill.
  const archive = await tempDir('grafana-archive');
  const files = await generateArchiveMirror(archive, { markets: ['spot'], symbols: [SYMBOL], types: ['klines:1m', 'trades'], fromDay: '2025-07-01', toDay: '2025-07-01', eventsPerDay: 300 });
  const tradesFile = files.find((g) => g.file.kind === 'trade');
  assert.ok(tradesFile !== undefined);
  const lines = execFileSync('unzip', ['-p', tradesFile.path]).toString().trim().split('\n');
  await writeArchiveFile(archive, tradesFile.file, { lines: [...lines.slice(0, 10), 'not,a,trade', ...lines.slice(10)] });
  const env = { CLICKHOUSE_URL: service.url, CLICKHOUSE_USER: service.username, CLICKHOUSE_PASSWORD: service.password };
  const backfill = await runBackfillJson({ ...backfillCommand, run: (a, context) => backfillCommand.run(a, { ...context, env }) }, [
    '--market', 'spot', '--symbols', SYMBOL, '--types', 'klines:1m,trades', '--from', '2025-07-01', '--to', '2025-07-01',
    '--archive', archive, '--sink', 'clickhouse', '--clickhouse-database', database, '--manifest', `${await tempDir('grafana-manifest')}/m.jsonl`,
  ]);
  assert.equal(backfill.exitCode, 3, backfill.stdout + backfill.stderr); // loaded, one row to the dead letters

  // What the speed layer and serve add: resampled bars, live trades with a receive time, a gap REST could not fill.
  const live = { symbol: SYMBOL, source: 'ws' as const, version: makeVersion('ws', 1_000), ingestId: `${RUN}-ws` };
  const bars = Array.from({ length: 12 }, (_, i) => kline(DAY_US + i * 300_000_000, { symbol: SYMBOL, version: makeVersion('resample', 1_000) }, '5m', 'resample'));
  const trades = Array.from({ length: 600 }, (_, i) => trade(1_000_000 + i, DAY_US + i * 1_000_000, { ...live, receiveTimeUs: DAY_US + i * 1_000_000 + 20_000 + (i % 7) * 1_000 }));
  const gap: GapRecord = { ...sampleRecord('gap'), ...live, stream: `binance.spot.trade.${SYMBOL}`, dataType: 'trade', interval: null,
    eventTimeUs: DAY_US + 3_600_000_000, fromUs: DAY_US + 3_600_000_000, toUs: DAY_US + 3_660_000_000, fromId: 5, toId: 9,
    cause: 'ws_disconnect', state: 'unfillable', filledCount: 0, detail: 'REST answered 503' };
  const batches: { kind: AnyRecord['kind']; unitId: string; records: AnyRecord[] }[] = [
    { kind: 'kline', unitId: `${RUN}#bars`, records: bars },
    { kind: 'trade', unitId: `${RUN}#live`, records: trades },
    { kind: 'gap', unitId: `${RUN}#gap`, records: [gap] },
    // What `lakehouse quality --sink clickhouse` writes for the day.
    { kind: 'quality', unitId: `${RUN}#quality`, records: [{ ...sampleRecord('quality'), symbol: SYMBOL, eventTimeUs: DAY_US, day: '2025-07-01', completeness: 0.5 }] },
  ];
  await lastValueFrom(from(batches).pipe(toClickHouse({ config: service, database }), toArray()));

  const [{ n: deadLetters }] = await (await client.query({ query: `SELECT toString(count()) AS n FROM ${database}.dead_letters`, format: 'JSONEachRow' })).json<{ n: string }>();
  assert.equal(deadLetters, '1');
  // Dead letters carry the time they were rejected: the panels' range spans the archive day up to now.
  const values: MacroValues = { fromS: DAY_S, toS: Math.ceil(Date.now() / 1000) + 3600, intervalS: 300, vars: { database, symbol: SYMBOL, interval: '1m' } };
  const run = async (sql: string, vars: Record<string, string> = {}): Promise<Record<string, unknown>[]> =>
    (await client.query({ query: expandMacros(sql, { ...values, vars: { ...values.vars, ...vars } }), format: 'JSONEachRow' })).json();

  for (const query of readQueries()) {
    const rows = await run(query.sql);
    assert.ok(rows.length > 0, `${query.file} returned no rows`);
  }
  const panel = (name: string): string => readQueries().find((q) => q.file.includes(name))?.sql ?? assert.fail(name);
  const klines = files.find((g) => g.file.kind === 'kline');
  assert.equal((await run(panel('ohlcv'))).length, klines?.rows, 'one archive bar per minute, FINAL');
  assert.equal((await run(panel('ohlcv'), { interval: '5m' })).length, bars.length, 'the resampled bars');
  const [completeness] = await run(panel('completeness'));
  assert.equal(completeness.unfilled, '1');
  assert.ok(Number(completeness.completenessPct) < 100);
  const [quality] = await run(panel('quality'));
  assert.deepEqual([quality.day, quality.completenessPct], ['2025-07-01', 50]);
  const lag = await run(panel('ingest-lag'));
  assert.equal(lag.length, 2, 'two 5-minute buckets of live trades; archive trades have no receive time');
  assert.ok(lag.every((r) => Number(r.p50Ms) >= 20 && Number(r.p99Ms) <= 27), JSON.stringify(lag));
});
