/**
 * `lakehouse quality --sink parquet,clickhouse` against the real ClickHouse server: the scores of a day with a
 * known hole (10:00–10:59 of the real 1m klines of 2020-01-01 missing from the lake) land in the `quality` table
 * of a database unique to the run (created with its tables), equal to what the command prints, and in the lake.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { lastValueFrom, of, toArray } from 'rxjs';
import { fromParquetLake } from '../../connectors/parquet/from-parquet-lake.js';
import { toParquetLake } from '../../connectors/parquet/to-parquet-lake.js';
import { main } from '../../pipelines/cli.js';
import { type QualityRecord } from '../../schemas/index.js';
import { realFixtureKlines } from '../support/fixture-klines.js';
import { clickhouseService } from '../support/services.js';
import { clickhouseTestClient } from './serve-support.js';

const RUN = `${Date.now().toString(36)}${process.pid}`;
const DATABASE = `lakehouse_quality_${RUN}`;
const SYMBOL = `Q${RUN.toUpperCase()}USDT`;

test('quality --sink parquet,clickhouse writes the day scores into the ClickHouse table quality and the lake', { timeout: 120_000 }, async (t) => {
  const service = await clickhouseService();
  if (service === undefined) return t.skip('ClickHouse not configured (CLICKHOUSE_URL)');
  const client = await clickhouseTestClient(t, service, DATABASE);
  const root = mkdtempSync(join(tmpdir(), 'quality-ch-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const klines = realFixtureKlines(['BTCUSDT-1m-2020-01-01.zip'], { symbol: SYMBOL });
  await lastValueFrom(of({ kind: 'kline' as const, unitId: 'fixture#0', records: klines.filter((_, i) => i < 600 || i >= 660) }).pipe(toParquetLake({ root }), toArray()));

  const out: string[] = [];
  const context = { env: { CLICKHOUSE_URL: service.url, CLICKHOUSE_USER: service.username, CLICKHOUSE_PASSWORD: service.password },
    stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => out.push(s) }, signal: new AbortController().signal } as never;
  const status = await main(['quality', '--symbol', SYMBOL, '--type', 'klines:1m', '--from', '2020-01-01', '--lake', root,
    '--sink', 'parquet,clickhouse', '--clickhouse-database', DATABASE, '--json'], context);
  assert.equal(status, 0, out.join(''));
  const [printed] = out.join('').trim().split('\n').map((l) => JSON.parse(l) as QualityRecord);
  assert.deepEqual([printed.day, printed.covered, printed.missingByCause], ['2020-01-01', 1380, 'archive_missing=60']);

  const stored = await (await client.query({
    query: `SELECT day, stream, toString(expected) AS expected, toString(covered) AS covered, completeness, toString(gapCount) AS gapCount, missingByCause,
      toString(version) AS version FROM ${DATABASE}.quality FINAL WHERE symbol = '${SYMBOL}'`,
    format: 'JSONEachRow',
  })).json<Record<string, unknown>>();
  assert.deepEqual(stored, [{
    day: '2020-01-01', stream: printed.stream, expected: '1440', covered: '1380', completeness: 1380 / 1440, gapCount: '1',
    missingByCause: 'archive_missing=60', version: String(printed.version),
  }]);
  const lake = await lastValueFrom(fromParquetLake({ root, type: 'quality', kind: 'quality', symbol: SYMBOL }).pipe(toArray()));
  assert.deepEqual(lake, [printed]);
});
