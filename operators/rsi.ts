/**
 * RSI with Wilder's smoothing over closes. The first average gain / loss is the plain mean of the first N
 * changes; after it, `avg = (x − avg) / N + avg`. RSI = 100 − 100 / (1 + avgGain / avgLoss), 100 when
 * avgLoss is 0. The first value is at the (N + 1)-th bar; the bars before are warm-up rows.
 */
import type { BarHistory } from './bar-history.js';
import { COUNT, SLOTS, VALUE, WARM, warmUp, type IndicatorCalc } from './indicator-calc.js';

// State: the running sums of gains and losses while seeding, their Wilder averages after.
const GAIN = SLOTS, LOSS = SLOTS + 1;

/** RSI(N); see the module comment. */
export class Rsi implements IndicatorCalc {
  readonly name = 'rsi';
  readonly params: string;
  readonly stateSize = 2;
  readonly lookback = 1;
  private readonly factor: number;

  constructor(private readonly period: number) {
    this.params = `${period}`;
    this.factor = 1 / period;
  }

  step(h: BarHistory, k: number, base: number): void {
    const s = h.slots;
    const i = h.at(k);
    const o = i * h.stride + base;
    const n = h.count[i];
    s[o + COUNT] = n;
    if (n === 1) {
      s[o + GAIN] = 0;
      s[o + LOSS] = 0;
      warmUp(h, o);
      return;
    }
    const p = h.at(k - 1);
    const po = p * h.stride + base;
    const close = h.close[i];
    const previous = h.close[p];
    const gain = close > previous ? close - previous : 0;
    const loss = close > previous ? 0 : previous - close;
    const changes = n - 1;
    const N = this.period;
    if (changes < N) {
      s[o + GAIN] = s[po + GAIN] + gain;
      s[o + LOSS] = s[po + LOSS] + loss;
      warmUp(h, o);
      return;
    }
    let avgGain: number;
    let avgLoss: number;
    if (changes === N) {
      avgGain = (s[po + GAIN] + gain) / N;
      avgLoss = (s[po + LOSS] + loss) / N;
    } else {
      avgGain = (gain - s[po + GAIN]) * this.factor + s[po + GAIN];
      avgLoss = (loss - s[po + LOSS]) * this.factor + s[po + LOSS];
    }
    s[o + GAIN] = avgGain;
    s[o + LOSS] = avgLoss;
    s[o + VALUE] = avgLoss === 0 ? 100 : 100 - 100 / (avgGain / avgLoss + 1);
    s[o + WARM] = 0;
  }
}
