import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Bollinger } from '../../operators/bollinger.js';
import { IndicatorPlan, IndicatorStream } from '../../operators/indicator-stream.js';
import { Macd } from '../../operators/macd.js';
import { Rsi } from '../../operators/rsi.js';
import { Vwap } from '../../operators/vwap.js';
import type { AnyRecord } from '../../schemas/index.js';
import { kline, minute } from './support.js';

/** The states a stream holds after 200 closed 1m bars, with `latenessUs`. */
function statesHeld(latenessUs: number): number {
  const plan = new IndicatorPlan([new Rsi(14), new Macd(12, 26, 9), new Bollinger(20, 2), new Vwap(0)], 'trade', '1m');
  const stream = new IndicatorStream(plan, { exchange: 'binance', market: 'spot', symbol: 'BTCUSDT', priceKind: 'trade', interval: '1m' }, latenessUs);
  const rows: AnyRecord[] = [];
  for (let i = 0; i < 200; i++) stream.add(kline(minute(i), { close: 100 + (i % 7) }), (row) => rows.push(row));
  assert.equal(rows.length, 800);
  return stream.history.states.length / stream.history.stride;
}

describe('IndicatorStream', () => {
  it('holds the states of the bars on time and the one before them: 2 with no lateness', () => {
    // The bar a new one leaves behind the lateness needs no state before it: its slot takes the new bar's.
    assert.equal(statesHeld(0), 2);
    // 10 minutes: the 11 bars on time and the one before them, in a ring of 16.
    assert.equal(statesHeld(10 * 60e6), 16);
  });
});
