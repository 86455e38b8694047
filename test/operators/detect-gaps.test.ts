import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { from } from 'rxjs';
import { detectGaps, gapVersion, type DetectGapsOptions } from '../../operators/detect-gaps.js';
import { parseUtcDayUs, US_PER_DAY, US_PER_MINUTE, type AnyRecord, type GapRecord } from '../../schemas/index.js';
import { realFixtureText } from '../support/fixtures.js';
import { aggTradesFromCsv, generateMarketDay, klinesFromCsv, tradesFromCsv } from '../support/generate-market-day.js';
import { collect, itFollowsTheChecklist, kline, marbles, minute, trade } from './support.js';

const gapsOf = (records: AnyRecord[]): GapRecord[] => records.filter((r): r is GapRecord => r.kind === 'gap');

async function detect(input: readonly AnyRecord[], options: DetectGapsOptions = {}): Promise<GapRecord[]> {
  return gapsOf(await collect(from(input).pipe(detectGaps(options))));
}

const DAY1 = parseUtcDayUs('2020-01-01');
const realTwoDays = () => [
  ...klinesFromCsv(realFixtureText('BTCUSDT-1m-2020-01-01.zip'), { market: 'spot', symbol: 'BTCUSDT' }),
  ...klinesFromCsv(realFixtureText('BTCUSDT-1m-2020-01-02.zip'), { market: 'spot', symbol: 'BTCUSDT' }),
];
const range = { fromUs: DAY1, toUs: DAY1 + 2 * US_PER_DAY };

describe('detectGaps', () => {
  describe('marble checklist', () => {
    const [a, b, c] = [kline(minute(0)), kline(minute(1)), kline(minute(2))];
    itFollowsTheChecklist({
      operator: () => detectGaps(),
      throwing: () => detectGaps({ keyOf: () => { throw new Error('boom'); } }),
      endless: { values: { a, b, c }, expected: '-a-b-c-', expectedValues: { a, b, c } },
      nth: (i) => kline(minute(i)),
    });
  });

  it('emits an open gap just before the kline that reveals a missing window', () => {
    const [a, b, d] = [kline(minute(0)), kline(minute(1)), kline(minute(3))];
    const g: GapRecord = {
      kind: 'gap', exchange: 'binance', market: 'spot', symbol: 'BTCUSDT', eventTimeUs: minute(2), source: 'archive',
      receiveTimeUs: null, ingestId: d.ingestId, version: gapVersion('open'), stream: 'binance.spot.kline.trade.1m.BTCUSDT',
      dataType: 'kline', interval: '1m', fromUs: minute(2), toUs: minute(3), fromId: null, toId: null,
      cause: 'archive_missing', state: 'open', filledCount: 0, detail: `interior: no 1m kline from ${minute(2)} µs to ${minute(3)} µs`,
    };
    marbles(({ cold, expectObservable }) => {
      expectObservable(cold('abd---|', { a, b, d }).pipe(detectGaps())).toBe('ab(gd)|', { a, b, g, d });
    });
  });

  it('finds no gap in two real days of 1m klines', async () => {
    assert.deepEqual(await detect(realTwoDays(), { range }), []);
  });

  it('finds exactly the removed rows of the real klines, leading, interior and trailing', async () => {
    const removed = [0, 1, 700, 1439, 1440, 1441, 2000, 2877, 2878, 2879];
    const rows = realTwoDays().filter((_, i) => !removed.includes(i));
    const gaps = await detect(rows, { range });
    const at = (i: number): number => DAY1 + i * US_PER_MINUTE;
    assert.deepEqual(gaps.map((g) => [g.fromUs, g.toUs]), [[at(0), at(2)], [at(700), at(701)], [at(1439), at(1442)], [at(2000), at(2001)], [at(2877), at(2880)]]);
    assert.deepEqual(gaps.map((g) => g.detail?.split(':')[0]), ['leading', 'interior', 'interior', 'interior', 'trailing']);
    assert.ok(gaps.every((g) => g.cause === 'archive_missing' && g.state === 'open' && g.interval === '1m'));
  });

  it('reports an expected stream that never appears as one gap over the whole range', async () => {
    const gaps = await detect([], { range, expect: [{ market: 'spot', symbol: 'ETHUSDT', interval: '1h' }] });
    assert.deepEqual(gaps.map((g) => [g.stream, g.fromUs, g.toUs]), [['binance.spot.kline.trade.1h.ETHUSDT', range.fromUs, range.toUs]]);
  });

  it('finds trade-id holes exactly, with the ids and the time span they lie in', async () => {
    const day = generateMarketDay({ market: 'um', symbol: 'BTCUSDT', day: '2026-02-01', timeUnit: 'ms', seed: 3 });
    const all = tradesFromCsv(day.trades, { market: 'um', symbol: 'BTCUSDT' });
    const removed = new Set([5, 6, 7, 100, 4000]);
    const kept = all.filter((_, i) => !removed.has(i));
    const gaps = await detect(kept);
    const id = (i: number): number => all[i].tradeId;
    assert.deepEqual(gaps.map((g) => [g.fromId, g.toId]), [[id(5), id(7)], [id(100), id(100)], [id(4000), id(4000)]]);
    assert.deepEqual(gaps.map((g) => [g.fromUs, g.toUs]), [[all[4].eventTimeUs, all[8].eventTimeUs + 1], [all[99].eventTimeUs, all[101].eventTimeUs + 1], [all[3999].eventTimeUs, all[4001].eventTimeUs + 1]]);
    assert.ok(gaps.every((g) => g.cause === 'sequence_break' && g.dataType === 'trade'));
  });

  it('finds no hole in the real COIN-M aggTrades and exactly the removed aggTrade ids', async () => {
    const aggs = aggTradesFromCsv(realFixtureText('BTCUSD_PERP-aggTrades-2026-05-08.zip'), { market: 'cm', symbol: 'BTCUSD_PERP' });
    assert.deepEqual(await detect(aggs), []);
    const gaps = await detect(aggs.filter((_, i) => i !== 10 && i !== 50_000 && i !== 50_001));
    assert.deepEqual(gaps.map((g) => [g.fromId, g.toId]), [[aggs[10].aggTradeId, aggs[10].aggTradeId], [aggs[50_000].aggTradeId, aggs[50_001].aggTradeId]]);
  });

  it('names a hole after a live reconnect ws_disconnect and lets causeOf override the cause', async () => {
    const live = [kline(minute(0), {}, '1m', 'ws'), kline(minute(5), {}, '1m', 'ws')];
    assert.equal((await detect(live))[0].cause, 'ws_disconnect');
    assert.equal((await detect(live, { causeOf: () => 'exchange_outage' }))[0].cause, 'exchange_outage');
  });

  it('treats repeated live updates of one window and trades of one id as no gap', async () => {
    assert.deepEqual(await detect([kline(minute(0)), kline(minute(0)), kline(minute(1)), trade(1, 1), trade(1, 1), trade(2, 2)]), []);
  });
});
