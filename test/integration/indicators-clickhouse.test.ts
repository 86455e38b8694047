/**
 * `lakehouse indicators --source clickhouse` against the real ClickHouse server: two days of real 1m klines
 * written to a database unique to the run — with a live copy of one bar at a lower version and other prices, which
 * FINAL must hide — give exactly the rows the lake path gives over the same bars, from a later --from too (both
 * read from the seeds before it).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { from, lastValueFrom, of, toArray } from 'rxjs';
import { migrate } from '../../connectors/clickhouse/migrate.js';
import { toClickHouse } from '../../connectors/clickhouse/to-clickhouse.js';
import { toParquetLake } from '../../connectors/parquet/to-parquet-lake.js';
import { resolveConfig } from '../../pipelines/config.js';
import { indicatorsCommand, runIndicators } from '../../pipelines/indicators.js';
import { identityKeyOf, makeVersion, type IndicatorRecord } from '../../schemas/index.js';
import { realFixtureKlines } from '../support/fixture-klines.js';
import { clickhouseService } from '../support/services.js';
import { clickhouseTestClient } from './serve-support.js';

const RUN = `${Date.now().toString(36)}${process.pid}`;
const DATABASE = `lakehouse_indicators_${RUN}`;
const SYMBOL = `X${RUN.toUpperCase()}USDT`;

const sorted = (rows: readonly IndicatorRecord[]): IndicatorRecord[] => [...rows].sort((a, b) => (identityKeyOf(a) < identityKeyOf(b) ? -1 : 1));

test('indicators --source clickhouse reads the bars FINAL and gives the rows of the lake path', { timeout: 180_000 }, async (t) => {
  const service = await clickhouseService();
  if (service === undefined) return t.skip('ClickHouse not configured (CLICKHOUSE_URL)');
  const client = await clickhouseTestClient(t, service, DATABASE);
  const root = mkdtempSync(join(tmpdir(), 'indicators-ch-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const klines = realFixtureKlines(['BTCUSDT-1m-2020-01-01.zip', 'BTCUSDT-1m-2020-01-02.zip'], { symbol: SYMBOL });
  const stale = { ...klines[2000], source: 'ws' as const, close: klines[2000].close + 50, version: makeVersion('ws', 1_577_900_000_000) };
  await lastValueFrom(of({ kind: 'kline' as const, unitId: `${RUN}#lake`, records: klines }).pipe(toParquetLake({ root }), toArray()));
  await migrate(client, { database: DATABASE, kinds: ['kline'] });
  await lastValueFrom(from([
    { kind: 'kline' as const, unitId: `${RUN}#archive`, records: klines },
    { kind: 'kline' as const, unitId: `${RUN}#live`, records: [stale] },
  ]).pipe(toClickHouse({ config: service, database: DATABASE }), toArray()));

  const env = { CLICKHOUSE_URL: service.url, CLICKHOUSE_USER: service.username, CLICKHOUSE_PASSWORD: service.password };
  for (const fromDay of ['2020-01-01', '2020-01-02']) {
    const argv = ['--symbol', SYMBOL, '--type', 'klines:1m', '--from', fromDay, '--to', '2020-01-02', '--lake', root, '--no-write'];
    const lake = await runIndicators(resolveConfig('indicators', indicatorsCommand.options, argv, env).config);
    const clickhouse = await runIndicators(resolveConfig('indicators', indicatorsCommand.options,
      [...argv, '--source', 'clickhouse', '--clickhouse-database', DATABASE], env).config);
    assert.equal(clickhouse.bars, fromDay === '2020-01-01' ? 2880 : 1440);
    assert.equal(clickhouse.rows.length, clickhouse.bars * 4);
    assert.deepEqual(sorted(clickhouse.rows), sorted(lake.rows), `from ${fromDay}`);
  }
});
