import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { lastValueFrom, of, toArray } from 'rxjs';
import { fromParquetLake } from '../../connectors/parquet/from-parquet-lake.js';
import { toParquetLake } from '../../connectors/parquet/to-parquet-lake.js';
import { resolveConfig } from '../../pipelines/config.js';
import { resampleCommand, runResample } from '../../pipelines/resample.js';
import { makeVersion } from '../../schemas/index.js';
import { realFixtureKlines } from '../support/fixture-klines.js';

const minutes = realFixtureKlines(['BTCUSDT-1m-2020-01-01.zip', 'BTCUSDT-1m-2020-01-02.zip'], { ingestId: () => 'fixture', version: makeVersion('archive', 1) });

/** Direct aggregation of the real minutes into windows of `sizeMinutes`. */
function direct(sizeMinutes: number): { open: number; high: number; low: number; close: number; volume: number; tradeCount: number }[] {
  const out = [];
  for (let i = 0; i < minutes.length; i += sizeMinutes) {
    const w = minutes.slice(i, i + sizeMinutes);
    out.push({
      open: w[0].open, close: w[w.length - 1].close, high: Math.max(...w.map((k) => k.high)), low: Math.min(...w.map((k) => k.low)),
      volume: w.reduce((s, k) => s + (k.volume ?? 0), 0), tradeCount: w.reduce((s, k) => s + (k.tradeCount ?? 0), 0),
    });
  }
  return out;
}

describe('lakehouse resample', () => {
  let root: string;
  const config = (extra: string[]) => resolveConfig('resample', resampleCommand.options,
    ['--symbol', 'BTCUSDT', '--type', 'klines:1m', '--from', '2020-01-01', '--to', '2020-01-02', '--lake', root, ...extra], {}).config;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'resample-'));
    await lastValueFrom(of({ kind: 'kline' as const, unitId: 'fixture#0', records: minutes }).pipe(toParquetLake({ root }), toArray()));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('builds 1h and 1d bars from two real days of 1m klines equal to their direct aggregation, and writes them', async () => {
    const { bars, scanned } = await runResample(config(['--intervals', '1h,1d']));
    assert.equal(scanned, 2880);
    for (const [interval, size, count] of [['1h', 60, 48], ['1d', 1440, 2]] as const) {
      const built = bars.filter((b) => b.interval === interval).sort((a, b) => a.openTimeUs - b.openTimeUs);
      assert.equal(built.length, count, interval);
      const expected = direct(size);
      built.forEach((bar, i) => {
        assert.equal(bar.source, 'resample');
        assert.equal(bar.openTimeUs, minutes[i * size].openTimeUs);
        for (const f of ['open', 'high', 'low', 'close', 'tradeCount'] as const) assert.equal(bar[f], expected[i][f], `${interval}[${i}].${f}`);
        assert.ok(Math.abs((bar.volume ?? 0) - expected[i].volume) <= 1e-9 * expected[i].volume, `${interval}[${i}].volume`);
      });
    }
    const written = await lastValueFrom(fromParquetLake({ root, type: 'klines_1h', kind: 'kline', symbol: 'BTCUSDT' }).pipe(toArray()));
    assert.equal(written.length, 48);
  });

  it('rejects targets that are not coarser than the input, and a missing --intervals', async () => {
    await assert.rejects(runResample(config(['--intervals', '1m'])), /coarser than the input 1m/);
    await assert.rejects(runResample(config([])), /--intervals is required/);
  });

  it('reads each minute once, in its highest version, when a lower-version copy of it is in the lake too', async () => {
    const lake = mkdtempSync(join(tmpdir(), 'resample-versions-'));
    try {
      const day = minutes.slice(0, 1440);
      const live = { ...day[0], source: 'ws' as const, version: day[0].version - 1, close: day[0].close * 2, high: day[0].close * 2 };
      // Parts are read in name order: the lower-version copy's part first.
      await lastValueFrom(of({ kind: 'kline' as const, unitId: 'aaa#0', records: [live] }, { kind: 'kline' as const, unitId: 'zzz#0', records: day })
        .pipe(toParquetLake({ root: lake }), toArray()));
      const { bars, scanned } = await runResample(resolveConfig('resample', resampleCommand.options,
        ['--symbol', 'BTCUSDT', '--type', 'klines:1m', '--from', '2020-01-01', '--lake', lake, '--intervals', '1h', '--no-write'], {}).config);
      assert.equal(scanned, 1440);
      const [first] = bars.sort((a, b) => a.openTimeUs - b.openTimeUs);
      assert.equal(first.high, direct(60)[0].high);
    } finally {
      rmSync(lake, { recursive: true, force: true });
    }
  });
});
