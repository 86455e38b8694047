import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { lastValueFrom, of, toArray } from 'rxjs';
import { RSI } from 'trading-signals';
import { fromParquetLake } from '../../connectors/parquet/from-parquet-lake.js';
import { toParquetLake } from '../../connectors/parquet/to-parquet-lake.js';
import { parseIndicatorSpecs } from '../../operators/indicator-spec.js';
import { main } from '../../pipelines/cli.js';
import { resolveConfig } from '../../pipelines/config.js';
import { indicatorsCommand, runIndicators } from '../../pipelines/indicators.js';
import { ServeEngine } from '../../pipelines/serve-engine.js';
import { identityKeyOf, type IndicatorRecord } from '../../schemas/index.js';
import { realFixtureKlines } from '../support/fixture-klines.js';

const minutes = realFixtureKlines(['BTCUSDT-1m-2020-01-01.zip', 'BTCUSDT-1m-2020-01-02.zip']);

const SPECS = ['rsi:14', 'macd:12:26:9', 'bb:20:2', 'vwap'];

function sortRows(rows: readonly IndicatorRecord[]): IndicatorRecord[] {
  return [...rows].sort((a, b) => (identityKeyOf(a) < identityKeyOf(b) ? -1 : identityKeyOf(a) > identityKeyOf(b) ? 1 : 0));
}

describe('lakehouse indicators', () => {
  let root: string;
  const config = (extra: string[] = []) => resolveConfig('indicators', indicatorsCommand.options,
    ['--symbol', 'BTCUSDT', '--type', 'klines:1m', '--from', '2020-01-01', '--to', '2020-01-02', '--lake', root, ...extra], {}).config;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'indicators-'));
    await lastValueFrom(of({ kind: 'kline' as const, unitId: 'fixture#0', records: minutes }).pipe(toParquetLake({ root }), toArray()));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('computes every default indicator over two real days of 1m klines in the lake and writes the rows back', async () => {
    const { rows, bars } = await runIndicators(config());
    assert.equal(bars, 2880);
    assert.equal(rows.length, 2880 * 4);
    const oracle = new RSI(14);
    const expected = minutes.map((k) => oracle.update(k.close, false));
    const rsi = rows.filter((r) => r.indicator === 'rsi');
    // Equal to the last digits: the seeds of the epochs (operators/indicator-epochs.ts) weigh less than e^−36.
    rsi.forEach((row, i) => {
      if (i < 14) assert.equal(row.value, null);
      else assert.ok(Math.abs((row.value as number) - (expected[i] as number)) <= 1e-12 * (expected[i] as number), `rsi ${i}: ${row.value} vs ${expected[i]}`);
    });
    const written = await lastValueFrom(fromParquetLake({ root, type: 'indicators', kind: 'indicator', symbol: 'BTCUSDT' }).pipe(toArray()));
    assert.deepEqual(sortRows(written as IndicatorRecord[]), sortRows(rows));
  });

  it('gives the same rows as the serving chain (serve --indicators) over the same days', async () => {
    const { rows } = await runIndicators(config(['--no-write']));
    const engine = new ServeEngine({ intervals: [], indicators: parseIndicatorSpecs(SPECS), allowedLatenessUs: 1_000_000, fill: 'none' });
    const out = [...engine.push(minutes.slice(0, 1000), 0), ...engine.push(minutes.slice(1000), 0), ...engine.flush()];
    engine.close();
    const streamed = out.filter((r): r is IndicatorRecord => r.kind === 'indicator');
    assert.equal(streamed.length, rows.length);
    assert.deepEqual(sortRows(streamed), sortRows(rows));
  });

  it('a serving engine renewed mid-way (idle flush, restart, rebalance) re-reads from its horizon and gives exactly the batch rows', async () => {
    const { rows } = await runIndicators(config(['--no-write']));
    const expected = new Map(rows.map((r) => [identityKeyOf(r), r]));
    const options = { intervals: [], indicators: parseIndicatorSpecs(SPECS), allowedLatenessUs: 60_000_000, fill: 'none' as const };
    for (const cut of [700, 2000]) {
      const first = new ServeEngine(options);
      const before = first.push(minutes.slice(0, cut), 0);
      const horizon = first.horizonUs(0);
      first.close();
      assert.ok(horizon <= minutes[cut - 1].openTimeUs - 60 * 60e6, `horizon ${horizon} reaches back into the history`);
      // What the session does: the records from the horizon on go through a fresh engine, which knows it.
      const second = new ServeEngine(options);
      const after = [...second.push(minutes.filter((m) => m.openTimeUs >= horizon), 0, horizon), ...second.flush()];
      second.close();
      const streamed = [...before, ...after].filter((r): r is IndicatorRecord => r.kind === 'indicator');
      for (const row of streamed) assert.deepEqual(row, expected.get(identityKeyOf(row)), `cut ${cut}: ${identityKeyOf(row)}`);
      assert.equal(new Set(streamed.map(identityKeyOf)).size, expected.size, `cut ${cut}: every row`);
    }
  });

  it('over a later --from, reads from the seeds before it: the rows equal those of a run over every day', async () => {
    const { rows: all } = await runIndicators(config(['--no-write']));
    const later = resolveConfig('indicators', indicatorsCommand.options,
      ['--symbol', 'BTCUSDT', '--type', 'klines:1m', '--from', '2020-01-02', '--lake', root, '--no-write'], {}).config;
    const { rows, bars } = await runIndicators(later);
    assert.equal(bars, 1440);
    assert.deepEqual(sortRows(rows), sortRows(all.filter((r) => r.openTimeUs >= minutes[1440].openTimeUs)));
  });

  it('prints a summary, or JSON lines, and rejects a stream that is not bars', async () => {
    const text: string[] = [];
    const context = { env: {}, stdout: { write: (s: string) => text.push(s) }, stderr: { write: (s: string) => text.push(s) }, signal: new AbortController().signal } as never;
    assert.equal(await main(['indicators', '--symbol', 'BTCUSDT', '--type', 'klines:1m', '--from', '2020-01-01', '--lake', root, '--indicators', 'rsi:14', '--no-write'], context), 0);
    assert.match(text.join(''), /1440 bars read, 1440 indicator rows \(14 warm-up\)/);
    text.length = 0;
    assert.equal(await main(['indicators', '--symbol', 'BTCUSDT', '--type', 'klines:1m', '--from', '2020-01-01', '--lake', root, '--indicators', 'bb:20:2', '--no-write', '--json'], context), 0);
    const lines = text.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines.at(-1), { event: 'summary', bars: 1440, rows: 1440, warmUp: 19, written: false });
    text.length = 0;
    assert.equal(await main(['indicators', '--symbol', 'BTCUSDT', '--type', 'trades', '--from', '2020-01-01', '--lake', root], context), 2);
    assert.equal(await main(['indicators', '--symbol', 'BTCUSDT', '--type', 'klines:1m', '--from', '2020-01-01', '--lake', root, '--indicators', 'ema:3'], context), 2);
  });
});
