/**
 * `--clickhouse-database` against the real ClickHouse server: a backfill of a tiny generated archive creates a
 * database unique to the run with its tables and loads every row there (nothing into `lakehouse`), and
 * `lakehouse query --clickhouse-database` resolves unqualified table names in it. The database is dropped after.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouseClient } from '../../connectors/clickhouse/config.js';
import { backfillCommand } from '../../pipelines/backfill.js';
import { queryCommand } from '../../pipelines/query.js';
import { generateArchiveMirror } from '../support/archive-mirror.js';
import { clickhouseService } from '../support/services.js';
import { removeTempDirs, runCommand, tempDir } from '../pipelines/backfill-support.js';

after(removeTempDirs);

const RUN = `${Date.now().toString(36)}${process.pid}`;
const DATABASE = `lakehouse_it_${RUN}`;
const SYMBOL = `DB${RUN.toUpperCase()}USDT`;

async function select<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  return (await client.query({ query, format: 'JSONEachRow' })).json<T>();
}

test('backfill --clickhouse-database creates and fills that database, and query reads unqualified tables from it', { timeout: 180_000 }, async (t) => {
  const service = await clickhouseService();
  if (service === undefined) { t.skip('ClickHouse not configured (CLICKHOUSE_URL)'); return; }
  const client = await createClickHouseClient(service);
  const env = { CLICKHOUSE_URL: service.url, CLICKHOUSE_USER: service.username, CLICKHOUSE_PASSWORD: service.password };
  try {
    const archive = await tempDir('ch-db-archive');
    const generated = await generateArchiveMirror(archive, { markets: ['spot'], symbols: [SYMBOL], types: ['klines:1h', 'trades'], fromDay: '2025-07-01', toDay: '2025-07-01', eventsPerDay: 200 });
    const rowsOf = (kind: string): number => generated.filter((g) => g.file.kind === kind).reduce((s, g) => s + g.rows, 0);
    const backfill = await runCommand(backfillCommand, [
      '--symbols', SYMBOL, '--types', 'klines:1h,trades', '--from', '2025-07-01', '--archive', archive, '--sink', 'clickhouse',
      '--clickhouse-database', DATABASE, '--manifest', `${await tempDir('ch-db-manifest')}/m.jsonl`, '--json',
    ], env);
    assert.equal(backfill.exitCode, 0, backfill.stdout + backfill.stderr);

    const tables = (await select<{ name: string }>(client, `SELECT name FROM system.tables WHERE database = '${DATABASE}'`)).map((r) => r.name);
    for (const table of ['trades', 'klines', 'dead_letters', 'gaps']) assert.ok(tables.includes(table), `${DATABASE}.${table} in ${tables.join(', ')}`);
    const [trades] = await select<{ n: string }>(client, `SELECT toString(count()) AS n FROM ${DATABASE}.trades FINAL WHERE symbol = '${SYMBOL}'`);
    const [klines] = await select<{ n: string }>(client, `SELECT toString(count()) AS n FROM ${DATABASE}.klines FINAL WHERE symbol = '${SYMBOL}'`);
    assert.deepEqual([Number(trades.n), Number(klines.n)], [rowsOf('trade'), rowsOf('kline')]);
    assert.deepEqual([rowsOf('trade'), rowsOf('kline')], [200, 24]);
    const [inDefault] = await select<{ n: string }>(client, "SELECT toString(count()) AS n FROM system.tables WHERE database = 'lakehouse' AND name = 'trades'");
    if (inDefault.n !== '0') {
      const [leaked] = await select<{ n: string }>(client, `SELECT toString(count()) AS n FROM lakehouse.trades WHERE symbol = '${SYMBOL}'`);
      assert.equal(leaked.n, '0', 'nothing went into the default database');
    }

    const query = await runCommand(queryCommand, ['--engine', 'clickhouse', '--json', `SELECT toString(count()) AS n FROM trades FINAL WHERE symbol = '${SYMBOL}'`], { ...env, LAKEHOUSE_CLICKHOUSE_DATABASE: DATABASE });
    assert.equal(query.exitCode, 0, query.stderr);
    assert.deepEqual(JSON.parse(query.stdout.trim()), { n: String(rowsOf('trade')) });
  } finally {
    await client.command({ query: `DROP DATABASE IF EXISTS ${DATABASE}` });
    await client.close();
  }
});

test('query --clickhouse-database resolves unqualified names on the embedded engine too, and names a missing database', { timeout: 180_000 }, async () => {
  const dataDir = await tempDir('ch-db-embedded');
  const client = await createClickHouseClient({ embeddedPath: dataDir });
  try {
    await client.command({ query: `CREATE DATABASE ${DATABASE}` });
    await client.command({ query: `CREATE TABLE ${DATABASE}.trades (tradeId UInt64) ENGINE = MergeTree ORDER BY tradeId` });
    await client.command({ query: `INSERT INTO ${DATABASE}.trades VALUES (1), (2), (3)` });
    const query = await runCommand(queryCommand, ['--clickhouse-embedded', dataDir, '--clickhouse-database', DATABASE, '--json', 'SELECT toString(count()) AS n FROM trades'], {});
    assert.equal(query.exitCode, 0, query.stderr);
    assert.deepEqual(JSON.parse(query.stdout.trim()), { n: '3' });
    await assert.rejects(runCommand(queryCommand, ['--clickhouse-embedded', dataDir, '--clickhouse-database', `${DATABASE}_missing`, 'SELECT 1'], {}), new RegExp(`${DATABASE}_missing`));
  } finally {
    await client.close();
  }
});
