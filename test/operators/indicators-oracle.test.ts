/**
 * The four indicators against independent references on the real kline fixtures: trading-signals (RSI with
 * Wilder smoothing, MACD over EMAs, Bollinger Bands, session VWAP) and DuckDB window functions (rolling VWAP,
 * Bollinger Bands again), to 1e-9 relative from the first non-warm-up row; the warm-up rows are exactly the bars
 * before it, with null values.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { from } from 'rxjs';
import { BollingerBands, EMA, MACD, RSI, VWAP } from 'trading-signals';
import { indicators } from '../../operators/indicators.js';
import { resample } from '../../operators/resample.js';
import { US_PER_DAY, type IndicatorRecord, type KlineRecord } from '../../schemas/index.js';
import { realFixtureText } from '../support/fixtures.js';
import { klinesFromCsv } from '../support/generate-market-day.js';
import { collect } from './support.js';

const TOLERANCE = 1e-9;

function close(actual: number | null, expected: number, what: string): void {
  assert.notEqual(actual, null, `${what}: null, expected ${expected}`);
  const a = actual as number;
  const scale = Math.max(Math.abs(a), Math.abs(expected));
  assert.ok(a === expected || Math.abs(a - expected) <= TOLERANCE * scale, `${what}: ${a} vs reference ${expected}`);
}

const SERIES: Record<string, () => KlineRecord[]> = {
  'BTCUSDT spot 1m, 2020-01-01 and 02 (2,880 bars)': () => [
    ...klinesFromCsv(realFixtureText('BTCUSDT-1m-2020-01-01.zip'), { market: 'spot', symbol: 'BTCUSDT' }),
    ...klinesFromCsv(realFixtureText('BTCUSDT-1m-2020-01-02.zip'), { market: 'spot', symbol: 'BTCUSDT' }),
  ],
  'ALGOUSDT um 1m, 2026-02-01 (1,440 bars)': () => klinesFromCsv(realFixtureText('ALGOUSDT-1m-2026-02.first1440rows.csv'), { market: 'um', symbol: 'ALGOUSDT' }),
  'BTCUSDT spot 1h, 2026-05-08 and 09 (48 bars, µs times)': () => [
    ...klinesFromCsv(realFixtureText('BTCUSDT-1h-2026-05-08.zip'), { market: 'spot', symbol: 'BTCUSDT' }, '1h'),
    ...klinesFromCsv(realFixtureText('BTCUSDT-1h-2026-05-09.zip'), { market: 'spot', symbol: 'BTCUSDT' }, '1h'),
  ],
};

const SPECS = ['rsi:14', 'macd:12:26:9', 'bb:20:2', 'vwap', 'vwap:20'];

async function rowsOf(bars: readonly KlineRecord[]): Promise<IndicatorRecord[]> {
  const out = await collect(from(bars).pipe(indicators({ indicators: SPECS, passThrough: false })));
  return out as IndicatorRecord[];
}

function series(rows: readonly IndicatorRecord[], indicator: string, params: string): IndicatorRecord[] {
  return rows.filter((r) => r.indicator === indicator && r.params === params);
}

/** Checks warm-up flags against `firstValue` (0-based) and the values from there with `check`. */
function checkSeries(rows: readonly IndicatorRecord[], bars: readonly KlineRecord[], firstValue: number, check: (row: IndicatorRecord, i: number) => void): void {
  assert.equal(rows.length, bars.length);
  rows.forEach((row, i) => {
    assert.equal(row.openTimeUs, bars[i].openTimeUs);
    assert.equal(row.warmUp, i < firstValue, `row ${i} warmUp`);
    if (i < firstValue) assert.deepEqual([row.value, row.signal, row.histogram, row.upper, row.lower], [null, null, null, null, null]);
    else check(row, i);
  });
}

async function duckRolling(bars: readonly KlineRecord[]): Promise<{ vwap: number | null; middle: number | null; sigma: number | null }[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  try {
    await db.run('CREATE TABLE bars (i INTEGER, high DOUBLE, low DOUBLE, close DOUBLE, volume DOUBLE)');
    const values = bars.map((b, i) => `(${i}, ${b.high}, ${b.low}, ${b.close}, ${b.volume ?? 'NULL'})`).join(',');
    await db.run(`INSERT INTO bars VALUES ${values}`);
    const window = 'OVER (ORDER BY i ROWS BETWEEN 19 PRECEDING AND CURRENT ROW)';
    const reader = await db.runAndReadAll(`SELECT
      SUM((high + low + close) / 3 * volume) ${window} / NULLIF(SUM(volume) ${window}, 0) AS vwap,
      AVG(close) ${window} AS middle, STDDEV_POP(close) ${window} AS sigma
      FROM bars ORDER BY i`);
    return reader.getRowObjectsJS() as { vwap: number | null; middle: number | null; sigma: number | null }[];
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}

for (const [name, load] of Object.entries(SERIES)) {
  describe(`indicators on ${name}`, () => {
    const bars = load();

    it('rsi:14 equals trading-signals RSI (Wilder) from bar 15', async () => {
      const oracle = new RSI(14);
      const expected = bars.map((b) => oracle.update(b.close, false));
      checkSeries(series(await rowsOf(bars), 'rsi', '14'), bars, 14, (row, i) => close(row.value, expected[i] as number, `rsi ${i}`));
    });

    it('macd:12:26:9 equals trading-signals MACD(EMA 12, EMA 26, EMA 9) once the signal EMA has 9 inputs', async () => {
      const oracle = new MACD(new EMA(12), new EMA(26), new EMA(9));
      const expected = bars.map((b) => oracle.update(b.close, false));
      checkSeries(series(await rowsOf(bars), 'macd', '12:26:9'), bars, 33, (row, i) => {
        const e = expected[i] as { macd: number; signal: number; histogram: number };
        close(row.value, e.macd, `macd ${i}`);
        close(row.signal, e.signal, `signal ${i}`);
        close(row.histogram, e.histogram, `histogram ${i}`);
      });
    });

    it('bb:20:2 equals trading-signals BollingerBands(20, 2) and DuckDB AVG / STDDEV_POP over 20 rows', async () => {
      const oracle = new BollingerBands(20, 2);
      const expected = bars.map((b) => oracle.update(b.close, false));
      const duck = await duckRolling(bars);
      checkSeries(series(await rowsOf(bars), 'bb', '20:2'), bars, 19, (row, i) => {
        const e = expected[i] as { lower: number; middle: number; upper: number };
        close(row.value, e.middle, `middle ${i}`);
        close(row.upper, e.upper, `upper ${i}`);
        close(row.lower, e.lower, `lower ${i}`);
        close(row.value, duck[i].middle as number, `middle ${i} (DuckDB)`);
        close(row.upper, (duck[i].middle as number) + 2 * (duck[i].sigma as number), `upper ${i} (DuckDB)`);
      });
    });

    it('vwap (session) equals trading-signals VWAP restarted at each UTC midnight', async () => {
      const rows = series(await rowsOf(bars), 'vwap', 'session');
      let oracle = new VWAP();
      let day = -1;
      const expected = bars.map((b) => {
        if (Math.floor(b.openTimeUs / US_PER_DAY) !== day) { oracle = new VWAP(); day = Math.floor(b.openTimeUs / US_PER_DAY); }
        oracle.update({ high: b.high, low: b.low, close: b.close, volume: b.volume as number }, false);
        return oracle.getResult();
      });
      checkSeries(rows, bars, 0, (row, i) => close(row.value, expected[i] as number, `vwap ${i}`));
      const midnight = rows.findIndex((r, i) => i > 0 && r.barCount === 1);
      if (bars.length > 1440) assert.equal(midnight, 1440, 'the session restarts at the second day');
    });

    it('vwap:20 (rolling) equals a DuckDB window SUM(tp·v) / SUM(v) over 20 rows', async () => {
      const duck = await duckRolling(bars);
      checkSeries(series(await rowsOf(bars), 'vwap', '20'), bars, 19, (row, i) => close(row.value, duck[i].vwap as number, `vwap:20 ${i}`));
    });
  });
}

describe('indicators on resampled bars (any interval)', () => {
  it('rsi, macd and bb over 15m bars resampled from the real 1m klines equal trading-signals on those bars', async () => {
    const minutes = SERIES['BTCUSDT spot 1m, 2020-01-01 and 02 (2,880 bars)']();
    const out = await collect(from(minutes).pipe(resample({ intervals: ['15m'], passThrough: false }), indicators({ indicators: SPECS, intervals: ['15m'] })));
    const bars = out.filter((r): r is KlineRecord => r.kind === 'kline');
    const rows = out.filter((r): r is IndicatorRecord => r.kind === 'indicator');
    assert.equal(bars.length, 192);
    assert.ok(rows.every((r) => r.interval === '15m'));
    const rsi = new RSI(14);
    const bb = new BollingerBands(20, 2);
    const macd = new MACD(new EMA(12), new EMA(26), new EMA(9));
    const expected = bars.map((b) => ({ rsi: rsi.update(b.close, false), bb: bb.update(b.close, false), macd: macd.update(b.close, false) }));
    checkSeries(series(rows, 'rsi', '14'), bars, 14, (row, i) => close(row.value, expected[i].rsi as number, `rsi ${i}`));
    checkSeries(series(rows, 'bb', '20:2'), bars, 19, (row, i) => close(row.upper, (expected[i].bb as { upper: number }).upper, `bb ${i}`));
    checkSeries(series(rows, 'macd', '12:26:9'), bars, 33, (row, i) => close(row.signal, (expected[i].macd as { signal: number }).signal, `macd ${i}`));
  });
});
