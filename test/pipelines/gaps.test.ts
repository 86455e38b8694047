import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { lastValueFrom, of, toArray } from 'rxjs';
import { fromParquetLake } from '../../connectors/parquet/from-parquet-lake.js';
import { toParquetLake } from '../../connectors/parquet/to-parquet-lake.js';
import { resolveConfig } from '../../pipelines/config.js';
import { EXIT_UNFILLED_GAPS, gapsCommand, runGaps } from '../../pipelines/gaps.js';
import { parseLakeStreamType } from '../../pipelines/lake-stream.js';
import { ConfigError, makeVersion, type KlineRecord } from '../../schemas/index.js';
import { realFixtureText } from '../support/fixtures.js';
import { realFixtureKlines } from '../support/fixture-klines.js';

const DAY = '2020-01-01';
const quiet = () => ({ env: {}, stdout: new PassThrough(), stderr: new PassThrough(), signal: new AbortController().signal });
const lines = realFixtureText('BTCUSDT-1m-2020-01-01.zip').trim().split('\n');
const klines = realFixtureKlines(['BTCUSDT-1m-2020-01-01.zip'], { ingestId: () => 'fixture', version: makeVersion('archive', 1) });
// Removed: the first 2 minutes (leading), minutes 100–109 (interior), the last 3 (trailing).
const removed = new Set([0, 1, ...Array.from({ length: 10 }, (_, i) => 100 + i), 1437, 1438, 1439]);

/** A Binance-compatible /api/v3/klines over the full fixture day (12-element arrays, ms times). */
function klineServer(): Promise<{ server: Server; url: string; calls: string[] }> {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    calls.push(url.pathname + url.search);
    const start = Number(url.searchParams.get('startTime'));
    const limit = Number(url.searchParams.get('limit'));
    const rows = lines.map((l) => l.split(',')).filter((c) => Number(c[0]) >= start).slice(0, limit)
      .map((c) => [Number(c[0]), c[1], c[2], c[3], c[4], c[5], Number(c[6]), c[7], Number(c[8]), c[9], c[10], c[11]]);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(rows));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls })));
}

describe('lakehouse gaps', () => {
  let root: string;
  const config = (extra: string[]) => resolveConfig('gaps', gapsCommand.options,
    ['--symbol', 'BTCUSDT', '--type', 'klines:1m', '--from', DAY, '--lake', root, ...extra], {}).config;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'gaps-'));
    const kept = klines.filter((_, i) => !removed.has(i));
    await lastValueFrom(of({ kind: 'kline' as const, unitId: 'fixture#0', records: kept }).pipe(toParquetLake({ root }), toArray()));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('reports exactly the removed minutes as leading, interior and trailing gaps', async () => {
    const { gaps, fills, scanned } = await runGaps(config(['--no-write']), new AbortController().signal);
    assert.equal(scanned, 1440 - removed.size);
    assert.equal(fills.length, 0);
    assert.deepEqual(gaps.map((g) => [g.fromUs, g.toUs, g.state]), [
      [klines[0].openTimeUs, klines[2].openTimeUs, 'reported'],
      [klines[100].openTimeUs, klines[110].openTimeUs, 'reported'],
      [klines[1437].openTimeUs, klines[1439].openTimeUs + 60_000_000, 'reported'],
    ]);
  });

  it('exits 4 while unfilled gaps remain (cron can act on it)', async () => {
    const status = await gapsCommand.run(['--symbol', 'BTCUSDT', '--type', 'klines:1m', '--from', DAY, '--lake', root, '--no-write'], quiet());
    assert.equal(status, EXIT_UNFILLED_GAPS);
  });

  it('fills the gaps with authentic REST klines equal to the archive, and writes ledger and fills into the lake', async () => {
    const { server, url, calls } = await klineServer();
    try {
      const { gaps, fills } = await runGaps(config(['--fill', 'rest', '--rest-url', url]), new AbortController().signal);
      assert.deepEqual(gaps.map((g) => g.state), ['filled', 'filled', 'filled']);
      assert.equal(fills.length, removed.size);
      const byOpen = new Map(klines.map((k) => [k.openTimeUs, k]));
      for (const fill of fills as KlineRecord[]) {
        const original = byOpen.get(fill.openTimeUs) as KlineRecord;
        assert.equal(fill.source, 'rest');
        for (const field of ['open', 'high', 'low', 'close', 'volume', 'quoteVolume', 'tradeCount', 'takerBuyVolume', 'takerBuyQuoteVolume', 'closeTimeUs'] as const) {
          assert.equal(fill[field], original[field], `${field} at ${fill.openTimeUs}`);
        }
      }
      assert.ok(calls.every((c) => c.startsWith('/api/v3/klines?')));
      const back = await lastValueFrom(fromParquetLake({ root, type: 'klines_1m', kind: 'kline', symbol: 'BTCUSDT' }).pipe(toArray()));
      assert.equal(back.length, 1440);
      const ledger = await lastValueFrom(fromParquetLake({ root, type: 'gaps', kind: 'gap' }).pipe(toArray()));
      assert.equal(ledger.length, 3);
    } finally {
      server.close();
    }
  });

  it('exits 0 once the gaps are filled', async () => {
    const status = await gapsCommand.run(['--symbol', 'BTCUSDT', '--type', 'klines:1m', '--from', DAY, '--lake', root, '--no-write'], quiet());
    assert.equal(status, 0);
  });

  it('rejects unknown stream types and missing arguments with clear messages', () => {
    assert.throws(() => parseLakeStreamType('klines'), /needs an interval/);
    assert.throws(() => parseLakeStreamType('bookTicker'), ConfigError);
    assert.deepEqual(parseLakeStreamType('markPriceKlines:1h'), { kind: 'kline', lakeType: 'markPriceKlines_1h', orderBy: 'openTimeUs', interval: '1h', priceKind: 'mark' });
    return assert.rejects(runGaps(resolveConfig('gaps', gapsCommand.options, ['--lake', root], {}).config, new AbortController().signal), /--symbol, --type and --from are required/);
  });
});
