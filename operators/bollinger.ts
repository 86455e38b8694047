/**
 * Bollinger Bands over closes: middle = mean of the last N closes, σ their population standard deviation,
 * upper / lower = middle ± k·σ. Computed afresh over the window at every bar, in one pass over deviations from
 * the window's first close (no running sums over the stream, whose cancellation would cost digits when σ is
 * small next to the price). Values from the N-th bar on.
 *
 * Seeds (operators/indicator-epochs.ts): epochs of N windows; the window of a value lies within the bars since
 * the start of the epoch before its own (N of them unless a hole in the bars is longer than an epoch, after
 * which the bands warm up again), so a value depends on a bounded past, the same for every run.
 */
import type { BarHistory } from './bar-history.js';
import { COUNT, LOWER, UPPER, VALUE, WARM, warmUp, type IndicatorCalc } from './indicator-calc.js';

/** BB(N, k); see the module comment. */
export class Bollinger implements IndicatorCalc {
  readonly name = 'bb';
  readonly params: string;
  readonly stateSize = 0;
  readonly lookback: number;
  readonly epochWindows: number;
  readonly epochsBack = 1;

  constructor(private readonly period: number, private readonly k: number) {
    this.params = `${period}:${k}`;
    this.lookback = period - 1;
    this.epochWindows = period;
  }

  step(h: BarHistory, k: number, o: number): void {
    const s = h.states;
    const N = this.period;
    if (s[o + COUNT] < N) {
      warmUp(h, o);
      return;
    }
    // One pass over the window, in deviations from its first close: the sums stay of the size of σ, not of the
    // price, so Σd² − (Σd)²/N loses no more digits than the two-pass formula (a running sum over the whole
    // stream would).
    const closes = h.closes;
    const first = h.barAt(k - N + 1);
    const reference = closes[first];
    let sum = 0;
    let squares = 0;
    if (first + N <= closes.length) {
      // The window does not wrap around the ring: read it in place.
      for (let j = first + 1; j < first + N; j++) {
        const d = closes[j] - reference;
        sum += d;
        squares += d * d;
      }
    } else {
      for (let j = k - N + 2; j <= k; j++) {
        const d = closes[h.barAt(j)] - reference;
        sum += d;
        squares += d * d;
      }
    }
    const variance = (squares - (sum * sum) / N) / N;
    const middle = reference + sum / N;
    const sigma = variance > 0 ? Math.sqrt(variance) : 0;
    s[o + VALUE] = middle;
    s[o + UPPER] = middle + sigma * this.k;
    s[o + LOWER] = middle - sigma * this.k;
    s[o + WARM] = 0;
  }
}
