import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import { lastValueFrom, of, toArray } from 'rxjs';
import { toParquetLake } from '../../connectors/parquet/to-parquet-lake.js';
import { main } from '../../pipelines/cli.js';
import { formatTable } from '../../pipelines/query.js';
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
});
