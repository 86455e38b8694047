import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { from, lastValueFrom, toArray } from 'rxjs';
import { queryLake } from '../../connectors/parquet/query-lake.js';
import { toParquetLake } from '../../connectors/parquet/to-parquet-lake.js';
import { main } from '../../pipelines/cli.js';
import type { TradeRecord } from '../../schemas/records.js';
import { makeVersion } from '../../schemas/version.js';
import { sampleRecord } from '../support/sample-records.js';

const DAY_US = 86_400_000_000;
const ARCHIVE = makeVersion('archive', Date.UTC(2025, 6, 3));
const LIVE = makeVersion('ws', Date.UTC(2025, 6, 1, 12));

function trade(symbol: string, id: number, day: number, version: number): TradeRecord {
  const base = sampleRecord('trade', 0);
  return { ...base, market: 'spot', symbol, tradeId: id, eventTimeUs: base.eventTimeUs + day * DAY_US + id, version, source: version === ARCHIVE ? 'archive' : 'ws' };
}

/** Runs the CLI; returns status and output. */
async function lakehouse(argv: readonly string[], signal = new AbortController().signal): Promise<{ status: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  err.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const status = await main(argv, { env: {}, stdout: out, stderr: err, signal });
  return { status, stdout, stderr };
}

/** Rows of every `*.parquet` file (no latest-version view): per symbol and day, rows and distinct trade ids. */
async function stored(root: string): Promise<Record<string, string>> {
  const rows = await queryLake({
    root, allowExternalAccess: true,
    sql: `SELECT symbol || ' ' || date AS cell, count(*) || ' rows, ' || count(DISTINCT tradeId) || ' keys, ' || count(*) FILTER (WHERE version = ${ARCHIVE}) || ' archive' AS n
          FROM read_parquet('${root}/**/*.parquet', hive_partitioning = true) GROUP BY ALL ORDER BY cell`,
  });
  return Object.fromEntries(rows.map((r) => [String(r.cell), String(r.n)]));
}

test('lakehouse compact rewrites the selected day partitions of a backfilled lake to one row per key; a second run rewrites nothing', async () => {
  const root = await mkdtemp(join(tmpdir(), 'compact-cli-'));
  try {
    const ids = Array.from({ length: 20 }, (_, i) => i);
    await lastValueFrom(from([
      { kind: 'trade' as const, unitId: 'live#0', records: ['BTCUSDT', 'ETHUSDT'].flatMap((s) => [0, 1].flatMap((d) => ids.map((id) => trade(s, id, d, LIVE)))) },
      { kind: 'trade' as const, unitId: 'archive#0', records: ['BTCUSDT', 'ETHUSDT'].flatMap((s) => [0, 1].flatMap((d) => ids.slice(5).map((id) => trade(s, id, d, ARCHIVE)))) },
    ]).pipe(toParquetLake({ root, encodeInWorker: false }), toArray()));
    const before = await stored(root);
    assert.equal(before['BTCUSDT 2025-07-01'], '35 rows, 20 keys, 15 archive');

    const run = await lakehouse(['compact', '--lake', root, '--symbols', 'btcusdt', '--from', '2025-07-01', '--types', 'trades', '--json']);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    assert.deepEqual(report, { dirs: 2, recovered: 0, compacted: 2, rowsIn: 70, rowsOut: 40, kept: 0, stopped: false });
    const after = await stored(root);
    assert.equal(after['BTCUSDT 2025-07-01'], '20 rows, 20 keys, 15 archive');
    assert.equal(after['BTCUSDT 2025-07-02'], '20 rows, 20 keys, 15 archive');
    assert.equal(after['ETHUSDT 2025-07-01'], before['ETHUSDT 2025-07-01'], 'not selected: untouched');

    const again = JSON.parse((await lakehouse(['compact', '--lake', root, '--json'])).stdout) as Record<string, unknown>;
    assert.equal(again.compacted, 2, 'the ETHUSDT days');
    const third = JSON.parse((await lakehouse(['compact', '--lake', root, '--json'])).stdout) as Record<string, unknown>;
    assert.deepEqual({ ...third, rowsIn: 0 }, { dirs: 4, recovered: 0, compacted: 0, rowsIn: 0, rowsOut: 0, kept: 0, stopped: false });
    const dir = join(root, 'exchange=binance/market=spot/type=trades/symbol=BTCUSDT/date=2025-07-01');
    assert.deepEqual((await readdir(dir)).map((name) => name.replace(/[0-9a-f]{16}/, 'ID')), ['compacted-ID-0.parquet']);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('lakehouse compact: a bad day is a usage error (2); stopped by a signal it rewrites nothing and exits 130', async () => {
  const root = await mkdtemp(join(tmpdir(), 'compact-cli-'));
  try {
    const bad = await lakehouse(['compact', '--lake', root, '--from', '2025-13-01']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--from expects a UTC day/);
    assert.equal((await lakehouse(['compact', '--lake', root, '--from', '2025-07-02', '--to', '2025-07-01'])).status, 2);
    await lastValueFrom(from([{ kind: 'trade' as const, unitId: 'a#0', records: [trade('BTCUSDT', 1, 0, LIVE)] }, { kind: 'trade' as const, unitId: 'b#0', records: [trade('BTCUSDT', 1, 0, ARCHIVE)] }])
      .pipe(toParquetLake({ root, encodeInWorker: false }), toArray()));
    const stop = new AbortController();
    stop.abort();
    const stopped = await lakehouse(['compact', '--lake', root, '--json'], stop.signal);
    assert.equal(stopped.status, 130);
    assert.equal((JSON.parse(stopped.stdout) as { compacted: number }).compacted, 0);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
