/**
 * VWAP of bars: Σ typical price × volume / Σ volume, typical price = (high + low + close) / 3, volume the base
 * asset's. Per session (`period` 0): summed from the first bar of each UTC day, restarting at midnight; rolling:
 * over the last `period` bars. A row without volume to divide by (the session's bars so far, or the window,
 * traded nothing) is a warm-up row, as are the first `period − 1` bars of a rolling VWAP.
 *
 * Seeds (operators/indicator-epochs.ts): a session is its own epoch (a UTC day); a rolling VWAP has epochs of
 * `period` windows, as Bollinger Bands (bollinger.ts).
 */
import { BAR_STRIDE, CLOSE, HIGH, LOW, VOLUME as BAR_VOLUME, type BarHistory } from './bar-history.js';
import { COUNT, SAME, SLOTS, VALUE, WARM, warmUp, type IndicatorCalc } from './indicator-calc.js';

// Session state: Σ typical price × volume and Σ volume since the day began.
const PRICE_VOLUME = SLOTS, VOLUMES = SLOTS + 1;

/** The typical price of the bar whose columns start at `r` of `d` (the bar ring). */
function typicalPrice(d: Float64Array, r: number): number {
  return (d[r + HIGH] + d[r + LOW] + d[r + CLOSE]) / 3;
}

/** VWAP per UTC session (`period` 0) or over a rolling window of `period` bars; see the module comment. */
export class Vwap implements IndicatorCalc {
  readonly name = 'vwap';
  readonly params: string;
  readonly stateSize: number;
  readonly lookback: number;
  readonly epochWindows: number;
  readonly epochsBack: 0 | 1;

  constructor(private readonly period: number) {
    this.params = period === 0 ? 'session' : `${period}`;
    this.stateSize = period === 0 ? 2 : 0;
    this.lookback = Math.max(0, period - 1);
    this.epochWindows = period;
    this.epochsBack = period === 0 ? 0 : 1;
  }

  step(h: BarHistory, k: number, o: number, po: number, follows: number): void {
    if (this.period === 0) this.session(h, k, o, po, follows);
    else this.rolling(h, k, o);
  }

  private session(h: BarHistory, k: number, o: number, po: number, follows: number): void {
    const s = h.states;
    const b = h.bars;
    const r = h.barAt(k) * BAR_STRIDE;
    const sameDay = follows === SAME;
    const volume = b[r + BAR_VOLUME];
    const priceVolume = (sameDay ? s[po + PRICE_VOLUME] : 0) + typicalPrice(b, r) * volume;
    const volumes = (sameDay ? s[po + VOLUMES] : 0) + volume;
    s[o + PRICE_VOLUME] = priceVolume;
    s[o + VOLUMES] = volumes;
    if (volumes > 0) {
      s[o + VALUE] = priceVolume / volumes;
      s[o + WARM] = 0;
    } else {
      warmUp(h, o);
    }
  }

  private rolling(h: BarHistory, k: number, o: number): void {
    const s = h.states;
    const b = h.bars;
    const N = this.period;
    if (s[o + COUNT] < N) {
      warmUp(h, o);
      return;
    }
    let priceVolume = 0;
    let volumes = 0;
    for (let j = k - N + 1; j <= k; j++) {
      const r = h.barAt(j) * BAR_STRIDE;
      priceVolume += typicalPrice(b, r) * b[r + BAR_VOLUME];
      volumes += b[r + BAR_VOLUME];
    }
    if (volumes > 0) {
      s[o + VALUE] = priceVolume / volumes;
      s[o + WARM] = 0;
    } else {
      warmUp(h, o);
    }
  }
}
