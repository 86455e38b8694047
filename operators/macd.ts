/**
 * MACD over closes: fast and slow EMAs (α = 2 / (N + 1), seeded with the first close), the MACD line
 * fast − slow from the SLOW-th bar on, its signal EMA (seeded with the first MACD value) and the histogram
 * MACD − signal. Values are given once the signal EMA has SIGNAL inputs, from bar SLOW + SIGNAL − 1; the rows
 * before are warm-up rows.
 */
import type { BarHistory } from './bar-history.js';
import { COUNT, HISTOGRAM, SIGNAL, SLOTS, VALUE, WARM, warmUp, type IndicatorCalc } from './indicator-calc.js';

const FAST = SLOTS, SLOW = SLOTS + 1, SIGNAL_EMA = SLOTS + 2;

/** MACD(fast, slow, signal); see the module comment. */
export class Macd implements IndicatorCalc {
  readonly name = 'macd';
  readonly params: string;
  readonly stateSize = 3;
  readonly lookback = 1;
  private readonly wFast: number;
  private readonly wSlow: number;
  private readonly wSignal: number;

  constructor(private readonly fast: number, private readonly slow: number, private readonly signal: number) {
    this.params = `${fast}:${slow}:${signal}`;
    this.wFast = 2 / (fast + 1);
    this.wSlow = 2 / (slow + 1);
    this.wSignal = 2 / (signal + 1);
  }

  step(h: BarHistory, k: number, base: number): void {
    const s = h.slots;
    const i = h.at(k);
    const o = i * h.stride + base;
    const n = h.count[i];
    const close = h.close[i];
    s[o + COUNT] = n;
    // Each EMA seeds with its first input: x·α + x·(1 − α), not x, exactly as the recurrence would give.
    const po = n === 1 ? -1 : h.at(k - 1) * h.stride + base;
    const fast = close * this.wFast + (po < 0 ? close : s[po + FAST]) * (1 - this.wFast);
    const slow = close * this.wSlow + (po < 0 ? close : s[po + SLOW]) * (1 - this.wSlow);
    s[o + FAST] = fast;
    s[o + SLOW] = slow;
    if (n < this.slow) {
      s[o + SIGNAL_EMA] = NaN;
      warmUp(h, o);
      return;
    }
    const macd = fast - slow;
    const signal = macd * this.wSignal + (n === this.slow ? macd : s[po + SIGNAL_EMA]) * (1 - this.wSignal);
    s[o + SIGNAL_EMA] = signal;
    if (n < this.slow + this.signal - 1) {
      warmUp(h, o);
      return;
    }
    s[o + VALUE] = macd;
    s[o + SIGNAL] = signal;
    s[o + HISTOGRAM] = macd - signal;
    s[o + WARM] = 0;
  }
}
