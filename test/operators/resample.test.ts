import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { from, tap } from 'rxjs';
import { LATE_RECORD, resample, type ResampleOptions } from '../../operators/resample.js';
import {
  makeVersion, parseUtcDayUs, rankOfVersion, US_PER_DAY, US_PER_HOUR, windowStartUs, type AnyRecord, type KlineInterval,
  type KlineRecord,
} from '../../schemas/index.js';
import { realFixtureText } from '../support/fixtures.js';
import { aggTradesFromCsv, generateMarketDay, klinesFromCsv, tradesFromCsv } from '../support/generate-market-day.js';
import { aggTrade, assertKlinesEquivalent, collect, itFollowsTheChecklist, kline, marbles, minute, trade } from './support.js';

const bars = (records: AnyRecord[], interval?: string): KlineRecord[] =>
  records.filter((r): r is KlineRecord => r.kind === 'kline' && r.source === 'resample' && (interval === undefined || r.interval === interval));

async function resampled(input: readonly AnyRecord[], options: ResampleOptions): Promise<AnyRecord[]> {
  return collect(from(input).pipe(resample({ passThrough: false, ...options })));
}

/** The reference: group finer klines by the coarse window and aggregate them directly (close = end − resolution). */
function directAggregation(klines: readonly KlineRecord[], interval: KlineInterval, windowUs: number, resolutionUs = 1000): KlineRecord[] {
  const groups = new Map<number, KlineRecord[]>();
  for (const k of klines) {
    const start = Math.floor(k.openTimeUs / windowUs) * windowUs;
    groups.set(start, [...(groups.get(start) ?? []), k]);
  }
  const sum = (ks: KlineRecord[], f: (k: KlineRecord) => number | null): number | null =>
    ks.every((k) => f(k) === null) ? null : ks.reduce((acc, k) => acc + (f(k) ?? 0), 0);
  return [...groups.entries()].map(([start, ks]) => ({
    ...ks[0], interval, openTimeUs: start, eventTimeUs: start, closeTimeUs: start + windowUs - resolutionUs,
    open: ks[0].open, close: ks[ks.length - 1].close,
    high: Math.max(...ks.map((k) => k.high)), low: Math.min(...ks.map((k) => k.low)),
    volume: sum(ks, (k) => k.volume), quoteVolume: sum(ks, (k) => k.quoteVolume), contracts: sum(ks, (k) => k.contracts),
    baseVolume: sum(ks, (k) => k.baseVolume), tradeCount: sum(ks, (k) => k.tradeCount),
    takerBuyVolume: sum(ks, (k) => k.takerBuyVolume), takerBuyQuoteVolume: sum(ks, (k) => k.takerBuyQuoteVolume),
    takerBuyContracts: sum(ks, (k) => k.takerBuyContracts), takerBuyBaseVolume: sum(ks, (k) => k.takerBuyBaseVolume),
  }));
}

describe('resample', () => {
  describe('marble checklist', () => {
    const a = trade(1, minute(0) + 1), b = trade(2, minute(0) + 2), c = trade(3, minute(0) + 3);
    itFollowsTheChecklist({
      operator: () => resample({ intervals: ['1m'] }),
      throwing: () => resample({ intervals: ['1m'], keyOf: () => { throw new Error('boom'); } }),
      endless: { values: { a, b, c }, expected: '-a-b-c-', expectedValues: { a, b, c } },
      nth: (i) => trade(i, minute(0) + i),
    });
  });

  it('emits a 5m bar from 1m klines when the watermark reaches the window end, after the input that closed it', () => {
    const k = [0, 1, 2, 3, 4, 5].map((i) => kline(minute(i), { open: 100 + i, close: 101 + i, high: 110 + i, low: 90 + i }));
    marbles(({ cold, expectObservable }) => {
      const source = cold('abcdef---|', { a: k[0], b: k[1], c: k[2], d: k[3], e: k[4], f: k[5] });
      const bar = (from: number, to: number): KlineRecord => ({
        ...k[from], source: 'resample', ingestId: 'resample/1m/5m', interval: '5m', version: makeVersion('resample', 1),
        openTimeUs: minute(from), eventTimeUs: minute(from), closeTimeUs: minute(from + 5) - 1000,
        open: 100 + from, close: 101 + to - 1, high: 110 + to - 1, low: 90 + from,
        volume: 2 * (to - from), quoteVolume: 200 * (to - from), tradeCount: 3 * (to - from),
        takerBuyVolume: to - from, takerBuyQuoteVolume: 100 * (to - from),
      });
      expectObservable(source.pipe(resample({ intervals: ['5m'] }))).toBe('abcde(fx)(y|)', {
        a: k[0], b: k[1], c: k[2], d: k[3], e: k[4], f: k[5], x: bar(0, 5), y: bar(5, 6),
      });
    });
  });

  it('closes an idle stream\'s window when other streams move event time on, and never waits for it otherwise', () => {
    const btc = trade(1, minute(0) + 5);
    const eth = (id: number, m: number) => trade(id, minute(m), { symbol: 'ETHUSDT' });
    marbles(({ cold, expectObservable }) => {
      const source = cold('ab-c---d-', { a: btc, b: eth(1, 0), c: eth(2, 1), d: eth(3, 2) });
      const out = source.pipe(resample({ intervals: ['1m'], passThrough: false, idleTimeoutMs: 5, keyOf: (r) => r.kind === 'trade' ? r.symbol : 'other' }));
      const bar = (t: typeof btc): KlineRecord => ({
        kind: 'kline', exchange: 'binance', market: 'spot', symbol: t.symbol, eventTimeUs: minute(0), source: 'resample',
        receiveTimeUs: null, ingestId: 'resample/trade/1m', version: makeVersion('resample', 1), priceKind: 'trade', interval: '1m',
        openTimeUs: minute(0), closeTimeUs: minute(1) - 1000, open: 100, high: 100, low: 100, close: 100, volume: 1, quoteVolume: 100,
        contracts: null, baseVolume: null, tradeCount: 1, takerBuyVolume: 1, takerBuyQuoteVolume: 100, takerBuyContracts: null, takerBuyBaseVolume: null, isClosed: true,
      });
      expectObservable(out).toBe('---e---(fg)', { e: bar(eth(1, 0)), f: { ...bar(eth(2, 1)), eventTimeUs: minute(1), openTimeUs: minute(1), closeTimeUs: minute(2) - 1000 }, g: bar(btc) });
    });
  });

  it('aligns weeks to Monday and months to calendar months', async () => {
    const days = Array.from({ length: 40 }, (_, i) => kline(parseUtcDayUs('2026-01-01') + i * US_PER_DAY, {}, '1d'));
    const out = bars(await resampled(days, { intervals: ['1w', '1M'] }));
    const weeks = out.filter((k) => k.interval === '1w').map((k) => new Date(k.openTimeUs / 1000).toISOString().slice(0, 10));
    const months = out.filter((k) => k.interval === '1M').map((k) => [new Date(k.openTimeUs / 1000).toISOString().slice(0, 10), k.tradeCount]);
    assert.deepEqual(weeks.slice(0, 3), ['2025-12-29', '2026-01-05', '2026-01-12']);
    assert.deepEqual(months, [['2026-01-01', 31 * 3], ['2026-02-01', 9 * 3]]);
  });

  it('re-emits a closed bar with a higher version for a record within the allowed lateness, and sends later ones to the late output', async () => {
    const input = [trade(1, minute(0)), trade(2, minute(1)), trade(3, minute(0) + 5, { qty: 4 }), trade(4, minute(3)), trade(5, minute(0) + 9)];
    const out = await resampled(input, { intervals: ['1m'], allowedLatenessUs: 90_000_000 });
    const first = bars(out).filter((k) => k.openTimeUs === minute(0));
    assert.equal(first.length, 2);
    assert.equal(first[0].volume, 1);
    assert.equal(first[1].volume, 5);
    assert.ok(first[1].version > first[0].version);
    assert.equal(rankOfVersion(first[1].version), 3);
    const late = out.filter((r) => r.kind === 'deadLetter');
    assert.equal(late.length, 1);
    assert.ok(late[0].kind === 'deadLetter' && late[0].errorName === LATE_RECORD && late[0].raw.includes('"tradeId":5'));
  });

  it('builds every kline field from trades, with aggTrades counting their trade-id span', async () => {
    const input = [
      trade(1, minute(0) + 1, { price: 10, qty: 2, isBuyerMaker: true }),
      trade(2, minute(0) + 2, { price: 12, qty: 1, quoteQty: 12 }),
      trade(3, minute(0) + 2, { price: 9, qty: 3 }),
    ];
    const [bar] = bars(await resampled(input, { intervals: ['1m'] }));
    assert.deepEqual([bar.open, bar.high, bar.low, bar.close, bar.volume, bar.quoteVolume, bar.tradeCount], [10, 12, 9, 9, 6, 59, 3]);
    assert.deepEqual([bar.takerBuyVolume, bar.takerBuyQuoteVolume, bar.contracts, bar.closeTimeUs], [4, 39, null, minute(1) - 1000]);
    const [agg] = bars(await resampled([aggTrade(7, minute(0), { firstTradeId: 100, lastTradeId: 104 })], { intervals: ['1m'] }));
    assert.equal(agg.tradeCount, 5);
  });

  it('counts each input once: live open klines are skipped, and a later copy of a trade or kline adds nothing', async () => {
    const open = kline(minute(0), { source: 'ws', isClosed: false, volume: 50, version: makeVersion('ws', 1, false) });
    const closed = kline(minute(0), { source: 'ws', version: makeVersion('ws', 2) });
    const archived = kline(minute(0), { version: makeVersion('archive', 3) });
    const [bar] = bars(await resampled([open, closed, open, archived, kline(minute(1))], { intervals: ['5m'] }));
    assert.deepEqual([bar.volume, bar.tradeCount], [4, 6]);
    const live = trade(7, minute(0) + 1, { source: 'ws', version: makeVersion('ws', 1) });
    const [fromTrades] = bars(await resampled([trade(6, minute(0)), live, { ...live, source: 'archive', version: makeVersion('archive', 2) }, trade(8, minute(0) + 2)], { intervals: ['1m', '1h'] }));
    assert.deepEqual([fromTrades.volume, fromTrades.tradeCount], [3, 3]);
  });

  it('lets synthetic flat-filled klines set prices only for windows without real trades, as Binance does', async () => {
    const fill = (i: number): KlineRecord => kline(minute(i), { source: 'fill', open: 90, high: 90, low: 90, close: 90, volume: 0, quoteVolume: 0, tradeCount: 0, takerBuyVolume: 0, takerBuyQuoteVolume: 0 });
    const input = [fill(0), kline(minute(1), { open: 100, high: 101, low: 99, close: 100.5 }), fill(2), fill(5), fill(6)];
    const out = bars(await resampled(input, { intervals: ['5m', '1h'] }));
    const ohlc = (k: KlineRecord) => [k.interval, k.open, k.high, k.low, k.close, k.volume, k.tradeCount];
    assert.deepEqual(out.map(ohlc), [['5m', 100, 101, 99, 100.5, 2, 3], ['5m', 90, 90, 90, 90, 0, 0], ['1h', 100, 101, 99, 100.5, 2, 3]]);
  });

  describe('laws (property tests)', () => {
    const tradeSeries = fc.array(fc.record({ gapUs: fc.integer({ min: 0, max: 400_000_000 }), price: fc.integer({ min: 1, max: 1000 }), qty: fc.integer({ min: 0, max: 10_000 }), maker: fc.boolean() }), { minLength: 1, maxLength: 200 })
      .map((rows) => {
        let t = minute(0);
        return rows.map((row, i) => trade(i + 1, (t += row.gapUs), { price: row.price, qty: row.qty / 100, isBuyerMaker: row.maker }));
      });

    it('preserves total volume, quote volume and trade count at every interval', async () => {
      await fc.assert(fc.asyncProperty(tradeSeries, async (trades) => {
        const out = bars(await resampled(trades, { intervals: ['1m', '5m', '1h'] }));
        const volume = trades.reduce((s, t) => s + (t.qty ?? 0), 0);
        const quote = trades.reduce((s, t) => s + (t.quoteQty ?? 0), 0);
        const near = (x: number, y: number): boolean => Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y));
        for (const interval of ['1m', '5m', '1h']) {
          const of = bars(out, interval);
          assert.equal(of.reduce((s, k) => s + (k.tradeCount ?? 0), 0), trades.length);
          assert.ok(near(of.reduce((s, k) => s + (k.volume ?? 0), 0), volume));
          assert.ok(near(of.reduce((s, k) => s + (k.quoteVolume ?? 0), 0), quote));
        }
      }), { numRuns: 60 });
    });

    it('gives the same 1h bars from 1m bars as directly from trades', async () => {
      await fc.assert(fc.asyncProperty(tradeSeries, async (trades) => {
        const direct = bars(await resampled(trades, { intervals: ['1h'] }));
        const oneMinute = bars(await resampled(trades, { intervals: ['1m'] }));
        const viaMinutes = bars(await resampled(oneMinute, { intervals: ['1h'] }));
        assertKlinesEquivalent(viaMinutes, direct);
      }), { numRuns: 60 });
    });
  });

  it('counts every record exactly once at every interval when late records within the allowed lateness revise closed bars', async () => {
    const times = fc.array(fc.integer({ min: -600_000_000, max: 400_000_000 }), { minLength: 1, maxLength: 150 }).map((steps) => {
      let newest = minute(0);
      return steps.map((step) => Math.max(minute(0), (newest = Math.max(newest, newest + step)) + Math.min(step, 0)));
    });
    await fc.assert(fc.asyncProperty(times, fc.array(fc.integer({ min: 1, max: 900 }), { minLength: 150, maxLength: 150 }), async (ts, prices) => {
      const trades = ts.map((t, i) => trade(i + 1, t, { price: prices[i], qty: (i % 7) + 1 }));
      const out = await resampled(trades, { intervals: ['1m', '5m', '1h'], allowedLatenessUs: 700_000_000 });
      assert.equal(out.filter((r) => r.kind === 'deadLetter').length, 0);
      for (const interval of ['1m', '5m', '1h'] as const) {
        const finalBars = new Map<number, KlineRecord>();
        for (const k of bars(out, interval)) finalBars.set(k.openTimeUs, k);
        const expected = new Map<number, { open: number; close: number; high: number; low: number; volume: number; count: number }>();
        for (const t of trades) {
          const start = windowStartUs(t.eventTimeUs, interval);
          const e = expected.get(start) ?? { open: t.price, close: t.price, high: -Infinity, low: Infinity, volume: 0, count: 0 };
          e.close = t.price; e.high = Math.max(e.high, t.price); e.low = Math.min(e.low, t.price); e.volume += t.qty ?? 0; e.count++;
          expected.set(start, e);
        }
        const actual = new Map([...finalBars].map(([start, k]) => [start, { open: k.open, close: k.close, high: k.high, low: k.low, volume: k.volume as number, count: k.tradeCount as number }]));
        assert.deepEqual(actual, expected, interval);
      }
    }), { numRuns: 100 });
  });

  describe('lambda equivalence on a generated day in the archive formats', () => {
    const cases = [
      { market: 'spot', timeUnit: 'ms', day: '2024-03-05' }, { market: 'spot', timeUnit: 'us', day: '2025-03-05' },
      { market: 'um', timeUnit: 'ms', day: '2026-02-01' }, { market: 'cm', timeUnit: 'ms', day: '2026-05-08' },
    ] as const;
    for (const c of cases) {
      it(`builds the archive's 1m klines in every field from ${c.market} trades and aggTrades (${c.timeUnit} timestamps)`, async () => {
        const day = generateMarketDay({ ...c, symbol: 'BTCUSDT', seed: 42 });
        const origin = { market: c.market, symbol: 'BTCUSDT' };
        const archived = klinesFromCsv(day.klines1m, origin);
        const options: ResampleOptions = { intervals: ['1m'], closeTimeResolutionUs: c.timeUnit === 'us' ? 1 : 1000 };
        assert.equal(archived.length, 1440);
        assertKlinesEquivalent(bars(await resampled(tradesFromCsv(day.trades, origin), options)), archived);
        const fromAgg = bars(await resampled(aggTradesFromCsv(day.aggTrades, origin), options));
        // aggTrades carry no COIN-M base quantity: that one column cannot be rebuilt from them.
        assertKlinesEquivalent(fromAgg, c.market === 'cm' ? archived.map((k) => ({ ...k, baseVolume: null, takerBuyBaseVolume: null })) : archived);
      });
    }
  });

  describe('real 1m klines', () => {
    const realMinutes = (): KlineRecord[] => [
      ...klinesFromCsv(realFixtureText('BTCUSDT-1m-2020-01-01.zip'), { market: 'spot', symbol: 'BTCUSDT' }),
      ...klinesFromCsv(realFixtureText('BTCUSDT-1m-2020-01-02.zip'), { market: 'spot', symbol: 'BTCUSDT' }),
    ];

    for (const [interval, us] of [['5m', 300_000_000], ['1h', US_PER_HOUR], ['1d', US_PER_DAY]] as const) {
      it(`resamples two real days of BTCUSDT 1m klines to ${interval} equal to their direct aggregation`, async () => {
        const minutes = realMinutes();
        const out = bars(await resampled(minutes, { intervals: [interval] }));
        assert.equal(out.length, (2 * US_PER_DAY) / us);
        assertKlinesEquivalent(out, directAggregation(minutes, interval, us));
        assert.equal(out[0].closeTimeUs, out[0].openTimeUs + us - 1000);
      });
    }

    it('resamples real 1m klines to every coarser Binance interval with intervals: all', async () => {
      const minutes = realMinutes();
      const out = bars(await resampled(minutes, { intervals: 'all' }));
      assert.deepEqual([...new Set(out.map((k) => k.interval))], ['3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d', '3d', '1w', '1M']);
      for (const interval of ['3m', '15m', '2h', '12h'] as const) {
        const us = { '3m': 180_000_000, '15m': 900_000_000, '2h': 2 * US_PER_HOUR, '12h': 12 * US_PER_HOUR }[interval];
        assertKlinesEquivalent(bars(out, interval), directAggregation(minutes, interval, us));
      }
      const total = minutes.reduce((s, k) => s + (k.tradeCount ?? 0), 0);
      for (const interval of ['3d', '1w', '1M']) assert.equal(bars(out, interval).reduce((s, k) => s + (k.tradeCount ?? 0), 0), total, interval);
    });

    it('resamples real USD-M 1m klines and real µs-era 1h klines keeping their close-time resolution', async () => {
      const algo = klinesFromCsv(realFixtureText('ALGOUSDT-1m-2026-02.first1440rows.csv'), { market: 'um', symbol: 'ALGOUSDT' });
      assertKlinesEquivalent(bars(await resampled(algo, { intervals: ['1h'] })), directAggregation(algo, '1h', US_PER_HOUR));
      const hours = klinesFromCsv(realFixtureText('BTCUSDT-1h-2026-05-08.zip'), { market: 'spot', symbol: 'BTCUSDT' }, '1h');
      const [day] = bars(await resampled(hours, { intervals: ['1d'] }));
      assert.equal(day.closeTimeUs, day.openTimeUs + US_PER_DAY - 1);
      assert.equal(day.tradeCount, hours.reduce((s, k) => s + (k.tradeCount ?? 0), 0));
    });
  });

  it('holds only open windows: the state does not grow with the number of records', async () => {
    let size = (): number => -1;
    const sizes: number[] = [];
    const input = Array.from({ length: 3000 }, (_, i) => trade(i, minute(0) + i * 1_000_000));
    await collect(from(input).pipe(
      resample({ intervals: ['1m', '1h'], stateProbe: (probe) => { size = probe; } }),
      tap((r) => { if (r.kind === 'trade' && r.tradeId % 500 === 0) sizes.push(size()); }),
    ));
    assert.ok(sizes.every((n) => n <= 2), `windows held: ${sizes.join(',')}`);
  });
});
