import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { from, tap } from 'rxjs';
import { parseIndicatorSpec, parseIndicatorSpecs } from '../../operators/indicator-spec.js';
import { indicators } from '../../operators/indicators.js';
import { LATE_RECORD } from '../../operators/resample.js';
import {
  ConfigError, identityKeyOf, makeVersion, US_PER_HOUR, type AnyRecord, type IndicatorRecord, type KlineRecord,
} from '../../schemas/index.js';
import { realFixtureText } from '../support/fixtures.js';
import { klinesFromCsv } from '../support/generate-market-day.js';
import { collect, itFollowsTheChecklist, kline, minute } from './support.js';

const SPECS = ['rsi:14', 'macd:12:26:9', 'bb:20:2', 'vwap', 'vwap:20'];

/** The first `n` real 1m klines of 2020-01-01 as they came live (closed ws klines, sequence = receive time). */
function liveBars(n: number): KlineRecord[] {
  return klinesFromCsv(realFixtureText('BTCUSDT-1m-2020-01-01.zip'), { market: 'spot', symbol: 'BTCUSDT' }).slice(0, n)
    .map((k) => ({ ...k, source: 'ws' as const, version: makeVersion('ws', k.openTimeUs / 1000 + 60_500) }));
}

/** The archive copy of a bar (published the next day), with `changes`. */
function archiveCopy(bar: KlineRecord, changes: Partial<KlineRecord> = {}): KlineRecord {
  return { ...bar, source: 'archive', version: makeVersion('archive', bar.openTimeUs / 1000 + 86_400_000), ...changes };
}

const rowsOf = (out: readonly AnyRecord[]): IndicatorRecord[] => out.filter((r): r is IndicatorRecord => r.kind === 'indicator');

/** The latest row per identity key (what a version-aware store keeps). */
function latest(rows: readonly IndicatorRecord[]): Map<string, IndicatorRecord> {
  const byKey = new Map<string, IndicatorRecord>();
  for (const row of rows) {
    const held = byKey.get(identityKeyOf(row));
    if (held === undefined || row.version > held.version) byKey.set(identityKeyOf(row), row);
  }
  return byKey;
}

describe('indicators', () => {
  describe('operator checklist', () => {
    const [a, b, c] = [kline(minute(0)), kline(minute(1)), kline(minute(2))];
    const rows = (bar: KlineRecord): IndicatorRecord => ({
      kind: 'indicator', exchange: 'binance', market: 'spot', symbol: 'BTCUSDT', eventTimeUs: bar.openTimeUs, source: 'derived',
      receiveTimeUs: null, ingestId: 'indicators/trade/1m', version: makeVersion(bar === a ? 'fill' : 'derived', 1), priceKind: 'trade', interval: '1m',
      openTimeUs: bar.openTimeUs, indicator: 'bb', params: '2:1', warmUp: bar === a, value: bar === a ? null : 100.5,
      signal: null, histogram: null, upper: bar === a ? null : 100.5, lower: bar === a ? null : 100.5, barCount: bar === a ? 1 : bar === b ? 2 : 3,
    });
    itFollowsTheChecklist({
      operator: () => indicators({ indicators: ['bb:2:1'], passThrough: false }),
      throwing: () => indicators({ indicators: ['bb:2:1'], passThrough: false, keyOf: () => { throw new Error('boom'); } }),
      endless: { values: { a, b, c }, expected: '-a-b-c-', expectedValues: { a: rows(a), b: rows(b), c: rows(c) } },
      nth: (i) => kline(minute(i)),
    });
  });

  it('emits one row per bar and indicator after the input bar, ignoring open klines and other kinds', async () => {
    const open = kline(minute(1), { isClosed: false, close: 1 });
    const out = await collect(from([kline(minute(0)), open, kline(minute(1))]).pipe(indicators({ indicators: ['rsi:2', 'vwap'] })));
    assert.deepEqual(out.map((r) => (r.kind === 'indicator' ? `${r.indicator}@${(r.openTimeUs - minute(0)) / 60e6}` : r.kind)),
      ['kline', 'rsi@0', 'vwap@0', 'kline', 'kline', 'rsi@1', 'vwap@1']);
  });

  it('warm-up rows have null values and rank below the value row of the same bar, whatever its sequence', async () => {
    const live = liveBars(30);
    // A consumer that re-read from bar 10 restarts: its rows of bar 20 are warm-up rows with a newer sequence.
    const full = rowsOf(await collect(from(live).pipe(indicators({ indicators: ['bb:20:2'], passThrough: false }))));
    const restarted = rowsOf(await collect(from(live.slice(10).map((b) => ({ ...b, version: b.version + 1000 }))).pipe(indicators({ indicators: ['bb:20:2'], passThrough: false }))));
    const value = full.find((r) => r.openTimeUs === live[20].openTimeUs) as IndicatorRecord;
    const warm = restarted.find((r) => r.openTimeUs === live[20].openTimeUs) as IndicatorRecord;
    assert.deepEqual([value.warmUp, warm.warmUp, warm.value, warm.upper], [false, true, null, null]);
    assert.ok(warm.version < value.version);
  });

  it('mark-price klines get every indicator but vwap (they have no volume)', async () => {
    const out = rowsOf(await collect(from([kline(minute(0), { priceKind: 'mark', volume: null })]).pipe(indicators({ indicators: SPECS }))));
    assert.deepEqual(out.map((r) => r.indicator), ['rsi', 'macd', 'bb']);
  });

  it('a corrected archive bar re-emits exactly the rows it changes, each with a higher version', async () => {
    const live = liveBars(120);
    const corrected = archiveCopy(live[60], { close: live[60].close + 7.5, high: live[60].high + 7.5 });
    const options = { indicators: SPECS, passThrough: false, allowedLatenessUs: 2 * US_PER_HOUR };
    const first = rowsOf(await collect(from(live).pipe(indicators(options))));
    const both = rowsOf(await collect(from([...live, corrected]).pipe(indicators(options))));
    const again = both.slice(first.length);
    const index = (r: IndicatorRecord): number => (r.openTimeUs - live[0].openTimeUs) / 60e6;
    const affected = (name: string, params: string): number[] => again.filter((r) => r.indicator === name && r.params === params).map(index);
    const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);
    assert.deepEqual(affected('bb', '20:2'), range(60, 79), 'bb: the 20 windows holding the bar');
    assert.deepEqual(affected('vwap', '20'), range(60, 79), 'rolling vwap: the 20 windows holding the bar');
    assert.deepEqual(affected('vwap', 'session'), range(60, 119), 'session vwap: the rest of the day');
    assert.deepEqual(affected('rsi', '14'), range(60, 119), 'rsi: every later value (Wilder smoothing never forgets)');
    assert.deepEqual(affected('macd', '12:26:9'), range(60, 119), 'macd: every later value');
    const before = latest(first);
    for (const row of again) assert.ok(row.version > (before.get(identityKeyOf(row)) as IndicatorRecord).version, `${row.indicator} ${index(row)}: version not higher`);
    // What a store keeps equals a fresh run over the corrected bars (values, warm-up, counts).
    const fresh = latest(rowsOf(await collect(from(live.map((b, i) => (i === 60 ? corrected : b))).pipe(indicators(options)))));
    const kept = latest(both);
    assert.equal(kept.size, fresh.size);
    for (const [key, row] of fresh) assert.deepEqual({ ...kept.get(key), version: 0 }, { ...row, version: 0 }, key);
  });

  it('an archive copy with the same prices changes nothing and re-emits nothing', async () => {
    const live = liveBars(40);
    const out = rowsOf(await collect(from([...live, archiveCopy(live[30])]).pipe(indicators({ indicators: SPECS, passThrough: false, allowedLatenessUs: US_PER_HOUR }))));
    assert.equal(out.length, 40 * SPECS.length);
  });

  it('a bar past the allowed lateness becomes a LateRecord dead letter; a copy with no higher version is ignored', async () => {
    const live = liveBars(40);
    const late = archiveCopy(live[10], { close: 1 });
    const out = await collect(from([...live, late, { ...live[39], close: 1 }]).pipe(indicators({ indicators: SPECS, passThrough: false, allowedLatenessUs: 5 * 60e6 })));
    assert.equal(rowsOf(out).length, 40 * SPECS.length);
    const letters = out.filter((r) => r.kind === 'deadLetter');
    assert.equal(letters.length, 1);
    assert.equal(letters[0].kind === 'deadLetter' && letters[0].errorName, LATE_RECORD);
  });

  it('a missing bar arriving late within the lateness is put in place: its rows, and the later rows it shifts, are recomputed', async () => {
    const live = liveBars(50);
    const options = { indicators: ['bb:5:2'], passThrough: false, allowedLatenessUs: US_PER_HOUR };
    const out = rowsOf(await collect(from([...live.slice(0, 30), ...live.slice(31), live[30]]).pipe(indicators(options))));
    const inOrder = latest(rowsOf(await collect(from(live).pipe(indicators(options)))));
    const kept = latest(out);
    for (const [key, row] of inOrder) assert.deepEqual({ ...kept.get(key), version: 0 }, { ...row, version: 0 }, key);
  });

  it('holds the bars on time plus the longest window, not the whole stream', async () => {
    let held = (): number => 0;
    const samples: number[] = [];
    const bars = liveBars(1440);
    await collect(from(bars).pipe(indicators({
      indicators: SPECS, passThrough: false, allowedLatenessUs: 10 * 60e6, stateProbe: (probe) => { held = probe; },
    }), tap(() => samples.push(held()))));
    assert.ok(Math.max(...samples) <= 20 + 11, `held ${Math.max(...samples)} bars`);
  });

  it('parses indicator specs into canonical parameters and rejects bad ones', () => {
    assert.deepEqual(parseIndicatorSpecs(['rsi:14', 'macd:12:26:9', 'bb:20:2.5', 'vwap', 'vwap:30']).map((s) => `${s.name}:${s.params}`),
      ['rsi:14', 'macd:12:26:9', 'bb:20:2.5', 'vwap:session', 'vwap:30']);
    for (const bad of ['rsi', 'rsi:0', 'rsi:x', 'macd:26:12:9', 'macd:12:26', 'bb:20', 'bb:20:-1', 'ema:10', 'vwap:1:2']) {
      assert.throws(() => parseIndicatorSpec(bad), ConfigError, bad);
    }
    assert.throws(() => parseIndicatorSpecs(['rsi:14', 'rsi:14']), ConfigError);
  });
});
