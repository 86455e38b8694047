/**
 * Bollinger Bands over closes: middle = mean of the last N closes, σ their population standard deviation,
 * upper / lower = middle ± k·σ. Computed afresh over the window at every bar (no running sums, whose
 * cancellation would cost digits when σ is small next to the price). Values from the N-th bar on.
 */
import type { BarHistory } from './bar-history.js';
import { COUNT, LOWER, UPPER, VALUE, WARM, warmUp, type IndicatorCalc } from './indicator-calc.js';

/** BB(N, k); see the module comment. */
export class Bollinger implements IndicatorCalc {
  readonly name = 'bb';
  readonly params: string;
  readonly stateSize = 0;
  readonly lookback: number;

  constructor(private readonly period: number, private readonly k: number) {
    this.params = `${period}:${k}`;
    this.lookback = period - 1;
  }

  step(h: BarHistory, k: number, base: number): void {
    const s = h.slots;
    const i = h.at(k);
    const o = i * h.stride + base;
    const n = h.count[i];
    const N = this.period;
    s[o + COUNT] = n;
    if (n < N) {
      warmUp(h, o);
      return;
    }
    const close = h.close;
    let sum = 0;
    for (let j = k - N + 1; j <= k; j++) sum += close[h.at(j)];
    const middle = sum / N;
    let squares = 0;
    for (let j = k - N + 1; j <= k; j++) {
      const d = close[h.at(j)] - middle;
      squares += d * d;
    }
    const sigma = Math.sqrt(squares / N);
    s[o + VALUE] = middle;
    s[o + UPPER] = middle + sigma * this.k;
    s[o + LOWER] = middle - sigma * this.k;
    s[o + WARM] = 0;
  }
}
