/**
 * MACD over closes: fast and slow EMAs (α = 2 / (N + 1), seeded with the first close), the MACD line
 * fast − slow from the SLOW-th bar on, its signal EMA (seeded with the first MACD value) and the histogram
 * MACD − signal. Values are given once the signal EMA has SIGNAL inputs, from bar SLOW + SIGNAL − 1; the rows
 * before are warm-up rows.
 *
 * Seeds (operators/indicator-epochs.ts): epochs of SLOW + 18·(SLOW + 1) + 18·(SIGNAL + 1) windows; a value is
 * the chain seeded at the first bar of the epoch before its own (two chains run at once, as in rsi.ts). Every
 * EMA's seed then weighs less than e^−36: the values are those of a chain over the whole stream, to the last
 * digits, and depend on a bounded past.
 */
import type { BarHistory } from './bar-history.js';
import { COUNT, HISTOGRAM, NEXT, SAME, SIGNAL, SLOTS, VALUE, WARM, countInEpoch, warmUp, type IndicatorCalc } from './indicator-calc.js';

// Per chain: the fast, slow and signal EMAs.
const FAST = 0, SLOW = 1, SIGNAL_EMA = 2;
/** The chain giving values, and the chain seeded at this epoch's start. */
const VALUED = SLOTS, NEXT_CHAIN = SLOTS + 3;

/** MACD(fast, slow, signal); see the module comment. */
export class Macd implements IndicatorCalc {
  readonly name = 'macd';
  readonly params: string;
  readonly stateSize = 6;
  readonly lookback = 1;
  readonly epochWindows: number;
  readonly epochsBack = 1;
  private readonly wFast: number;
  private readonly wSlow: number;
  private readonly wSignal: number;

  constructor(fast: number, private readonly slow: number, private readonly signal: number) {
    this.params = `${fast}:${slow}:${signal}`;
    this.wFast = 2 / (fast + 1);
    this.wSlow = 2 / (slow + 1);
    this.wSignal = 2 / (signal + 1);
    this.epochWindows = slow + 18 * (slow + 1) + 18 * (signal + 1);
  }

  step(h: BarHistory, k: number, o: number, po: number, follows: number): void {
    const s = h.states;
    const close = h.closes[h.barAt(k)];
    this.advance(s, follows === SAME ? po + NEXT_CHAIN : -1, o + NEXT_CHAIN, countInEpoch(s, o), close);
    const n = s[o + COUNT];
    this.advance(s, follows === SAME ? po + VALUED : follows === NEXT ? po + NEXT_CHAIN : -1, o + VALUED, n, close);
    if (n < this.slow + this.signal - 1) {
      warmUp(h, o);
      return;
    }
    const macd = s[o + VALUED + FAST] - s[o + VALUED + SLOW];
    const signal = s[o + VALUED + SIGNAL_EMA];
    s[o + VALUE] = macd;
    s[o + SIGNAL] = signal;
    s[o + HISTOGRAM] = macd - signal;
    s[o + WARM] = 0;
  }

  /** One chain's EMAs at its `n`-th bar into `to`, from the bar before (`from`; −1 at its seed). */
  private advance(s: Float64Array, from: number, to: number, n: number, close: number): void {
    // Each EMA seeds with its first input: x·α + x·(1 − α), not x, exactly as the recurrence would give.
    const fast = close * this.wFast + (from < 0 ? close : s[from + FAST]) * (1 - this.wFast);
    const slow = close * this.wSlow + (from < 0 ? close : s[from + SLOW]) * (1 - this.wSlow);
    s[to + FAST] = fast;
    s[to + SLOW] = slow;
    if (n < this.slow) {
      s[to + SIGNAL_EMA] = NaN;
      return;
    }
    const macd = fast - slow;
    s[to + SIGNAL_EMA] = macd * this.wSignal + (n === this.slow ? macd : s[from + SIGNAL_EMA]) * (1 - this.wSignal);
  }
}
