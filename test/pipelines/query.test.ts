import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import { lastValueFrom, of, toArray } from 'rxjs';
import { toParquetLake } from '../../connectors/parquet/to-parquet-lake.js';
import { main } from '../../pipelines/cli.js';
import { formatTable } from '../../pipelines/query-output.js';
import { sampleRecord } from '../support/sample-records.js';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function runCli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number; out: string; err: string }> {
  const out = capture();
  const err = capture();
  const status = await main(argv, { env, stdout: out.stream, stderr: err.stream, signal: new AbortController().signal });
  return { status, out: out.text(), err: err.text() };
}

describe('lakehouse query', () => {
  const root = mkdtempSync(join(tmpdir(), 'lakehouse-query-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('answers SQL over the local lake, one view per lake type', async () => {
    const records = [0, 1, 2].map((i) => sampleRecord('trade', i));
    await lastValueFrom(of({ kind: 'trade' as const, unitId: 'query-test#0', records }).pipe(toParquetLake({ root }), toArray()));
    const { status, out } = await runCli(['query', '--lake', root, '--json', 'SELECT count(*) AS n, min(tradeId) AS first FROM trades']);
    assert.equal(status, 0);
    const row = JSON.parse(out.trim());
    assert.equal(Number(row.n), 3);
    assert.equal(String(row.first), String(records[0].tradeId));
  });

  it('prints an aligned table by default', async () => {
    const { status, out } = await runCli(['query', '--lake', root, 'SELECT symbol, count(*) AS n FROM trades GROUP BY symbol ORDER BY symbol']);
    assert.equal(status, 0);
    assert.match(out, /^symbol\s+n\n-+\s+-+\nBTCUSDT\s+2\nETHUSDT\s+1\n$/);
  });

  it('explains a missing SQL argument and a ClickHouse engine without an endpoint', async () => {
    const missing = await runCli(['query', '--lake', root]);
    assert.equal(missing.status, 2);
    assert.match(missing.err, /give the SQL as an argument/);
    const noServer = await runCli(['query', '--engine', 'clickhouse', 'SELECT 1']);
    assert.equal(noServer.status, 2);
    assert.match(noServer.err, /--engine clickhouse needs --clickhouse-url/);
  });

  it('formats an empty result as (no rows)', () => {
    assert.equal(formatTable([]), '(no rows)');
  });

  it('shows one row per identity key, the highest version, unless --all-versions', async () => {
    const lake = mkdtempSync(join(tmpdir(), 'lakehouse-query-versions-'));
    try {
      const archive = { ...sampleRecord('kline', 0), source: 'archive' as const, version: 9_000 };
      const resampled = { ...archive, source: 'resample' as const, version: 5_000, ingestId: 'resample:BTCUSDT', close: 1 };
      const other = { ...sampleRecord('kline', 2), priceKind: 'trade' as const, symbol: 'BTCUSDT' };
      await lastValueFrom(of(
        { kind: 'kline' as const, unitId: 'archive#0', records: [archive, other] },
        { kind: 'kline' as const, unitId: 'resample#0', records: [resampled] },
      ).pipe(toParquetLake({ root: lake }), toArray()));
      const sql = 'SELECT count(*)::INTEGER AS n, max(source) AS source FROM klines_1m WHERE openTimeUs = ' + archive.openTimeUs;
      const latest = await runCli(['query', '--lake', lake, '--json', sql]);
      assert.equal(latest.status, 0, latest.err);
      assert.deepEqual(JSON.parse(latest.out), { n: 1, source: 'archive' });
      const all = await runCli(['query', '--lake', lake, '--json', '--all-versions', sql]);
      assert.deepEqual(JSON.parse(all.out), { n: 2, source: 'resample' });
      const total = await runCli(['query', '--lake', lake, '--json', 'SELECT count(*)::INTEGER AS n FROM klines_1m']);
      assert.deepEqual(JSON.parse(total.out), { n: 2 });
    } finally {
      rmSync(lake, { recursive: true, force: true });
    }
  });

  it('confines SQL to the lake: no other files, no COPY, ATTACH, INSTALL, LOAD or SET; the views still answer', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'lakehouse-query-outside-'));
    try {
      const csv = join(outside, 'secret.csv');
      writeFileSync(csv, 'a,b\n1,2\n');
      const refused = [
        `SELECT * FROM read_csv('${csv}')`,
        "SELECT * FROM read_text('/etc/passwd')",
        `COPY (SELECT 1 AS a) TO '${join(outside, 'copy.csv')}'`,
        `COPY (SELECT 1 AS a) TO '${join(root, 'copy.csv')}'`,
        `SELECT * FROM query('COPY (SELECT 1 AS a) TO ''${join(root, 'copy2.csv')}''')`,
        `ATTACH '${join(outside, 'attached.duckdb')}'`,
        'INSTALL httpfs',
        'LOAD httpfs',
        'SET enable_external_access = true',
        `SELECT 1; COPY (SELECT 1 AS a) TO '${join(root, 'second.csv')}'`,
      ];
      for (const sql of refused) {
        const result = await runCli(['query', '--lake', root, '--json', sql]);
        assert.notEqual(result.status, 0, `${sql}: ${result.out}`);
        assert.match(result.err, /only SELECT statements run over the lake|file system operations are disabled|disabled through configuration|Expected a single SELECT/, sql);
      }
      for (const name of ['copy.csv', 'attached.duckdb']) assert.equal(existsSync(join(outside, name)), false, name);
      for (const name of ['copy.csv', 'copy2.csv', 'second.csv']) assert.equal(existsSync(join(root, name)), false, name);
      const views = await runCli(['query', '--lake', root, '--json', 'SELECT count(*)::INTEGER AS n FROM trades']);
      assert.deepEqual(JSON.parse(views.out), { n: 3 });
      const allowed = await runCli(['query', '--lake', root, '--json', '--allow-external-access', `SELECT count(*)::INTEGER AS n FROM read_csv('${csv}')`]);
      assert.deepEqual(JSON.parse(allowed.out), { n: 1 });
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('streams a result of 250,000 rows, as JSON lines and as a table', async () => {
    const json = await runCli(['query', '--lake', root, '--json', 'SELECT range::INTEGER AS i FROM range(250000)']);
    assert.equal(json.status, 0, json.err);
    const lines = json.out.trimEnd().split('\n');
    assert.equal(lines.length, 250_000);
    assert.equal(lines[249_999], '{"i":249999}');
    const table = await runCli(['query', '--lake', root, 'SELECT range AS i, repeat(\'x\', (range % 3 + 1)::INTEGER) AS s FROM range(250000)']);
    assert.equal(table.status, 0, table.err);
    const rows = table.out.trimEnd().split('\n');
    assert.equal(rows.length, 250_002);
    assert.match(rows[0], /^i +s$/);
    assert.equal(rows[250_001], '249999  x');
  });
});
