/**
 * RSI with Wilder's smoothing over closes. The first average gain / loss is the plain mean of the first N
 * changes; after it, `avg = (x − avg) / N + avg`. RSI = 100 − 100 / (1 + avgGain / avgLoss), 100 when
 * avgLoss is 0. The first value is at the (N + 1)-th bar; the bars before are warm-up rows.
 *
 * Seeds (operators/indicator-epochs.ts): epochs of 36·N windows; a value is the chain seeded at the first bar
 * of the epoch before its own, so two chains run at once (the one giving values, and the one seeded at this
 * epoch's start that gives the next epoch's). A seed 36·N bars back weighs less than e^−36 in the averages:
 * the values are those of a chain over the whole stream, to the last digits, and depend on a bounded past.
 */
import type { BarHistory } from './bar-history.js';
import { COUNT, NEXT, SAME, SLOTS, VALUE, WARM, countInEpoch, warmUp, type IndicatorCalc } from './indicator-calc.js';

// Per chain: the running sums of gains and losses while seeding, their Wilder averages after.
const GAIN = 0, LOSS = 1;
/** The chain giving values, and the chain seeded at this epoch's start. */
const VALUED = SLOTS, NEXT_CHAIN = SLOTS + 2;

/** RSI(N); see the module comment. */
export class Rsi implements IndicatorCalc {
  readonly name = 'rsi';
  readonly params: string;
  readonly stateSize = 4;
  readonly lookback = 1;
  readonly epochWindows: number;
  readonly epochsBack = 1;
  private readonly factor: number;

  constructor(private readonly period: number) {
    this.params = `${period}`;
    this.factor = 1 / period;
    this.epochWindows = 36 * period;
  }

  step(h: BarHistory, k: number, o: number, po: number, follows: number): void {
    const s = h.states;
    const chained = follows === SAME || follows === NEXT;
    const close = h.closes[h.barAt(k)];
    const previous = chained ? h.closes[h.barAt(k - 1)] : close;
    this.advance(s, follows === SAME ? po + NEXT_CHAIN : -1, o + NEXT_CHAIN, countInEpoch(s, o), close, previous);
    this.advance(s, follows === SAME ? po + VALUED : follows === NEXT ? po + NEXT_CHAIN : -1, o + VALUED, s[o + COUNT], close, previous);
    if (s[o + COUNT] <= this.period) {
      warmUp(h, o);
      return;
    }
    const avgGain = s[o + VALUED + GAIN];
    const avgLoss = s[o + VALUED + LOSS];
    s[o + VALUE] = avgLoss === 0 ? 100 : 100 - 100 / (avgGain / avgLoss + 1);
    s[o + WARM] = 0;
  }

  /** One chain's state at its `n`-th bar into `to`, from its state at the bar before (`from`; −1 at its seed). */
  private advance(s: Float64Array, from: number, to: number, n: number, close: number, previous: number): void {
    if (n === 1) {
      s[to + GAIN] = 0;
      s[to + LOSS] = 0;
      return;
    }
    const gain = close > previous ? close - previous : 0;
    const loss = close > previous ? 0 : previous - close;
    const changes = n - 1;
    const N = this.period;
    if (changes < N) {
      s[to + GAIN] = s[from + GAIN] + gain;
      s[to + LOSS] = s[from + LOSS] + loss;
    } else if (changes === N) {
      s[to + GAIN] = (s[from + GAIN] + gain) / N;
      s[to + LOSS] = (s[from + LOSS] + loss) / N;
    } else {
      s[to + GAIN] = (gain - s[from + GAIN]) * this.factor + s[from + GAIN];
      s[to + LOSS] = (loss - s[from + LOSS]) * this.factor + s[from + LOSS];
    }
  }
}
