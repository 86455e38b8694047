/**
 * VWAP of bars: Σ typical price × volume / Σ volume, typical price = (high + low + close) / 3, volume the base
 * asset's. Per session (`period` 0): summed from the first bar of each UTC day, restarting at midnight; rolling:
 * over the last `period` bars. A row without volume to divide by (the session's bars so far, or the window,
 * traded nothing) is a warm-up row, as are the first `period − 1` bars of a rolling VWAP.
 */
import { US_PER_DAY } from '../schemas/index.js';
import type { BarHistory } from './bar-history.js';
import { COUNT, SLOTS, VALUE, WARM, warmUp, type IndicatorCalc } from './indicator-calc.js';

// Session state: Σ typical price × volume and Σ volume since the day began.
const PRICE_VOLUME = SLOTS, VOLUME = SLOTS + 1;

function typicalPrice(h: BarHistory, i: number): number {
  return (h.high[i] + h.low[i] + h.close[i]) / 3;
}

/** VWAP per UTC session (`period` 0) or over a rolling window of `period` bars; see the module comment. */
export class Vwap implements IndicatorCalc {
  readonly name = 'vwap';
  readonly params: string;
  readonly stateSize: number;
  readonly lookback: number;

  constructor(private readonly period: number) {
    this.params = period === 0 ? 'session' : `${period}`;
    this.stateSize = period === 0 ? 2 : 0;
    this.lookback = Math.max(0, period - 1);
  }

  step(h: BarHistory, k: number, base: number): void {
    if (this.period === 0) this.session(h, k, base);
    else this.rolling(h, k, base);
  }

  private session(h: BarHistory, k: number, base: number): void {
    const s = h.slots;
    const i = h.at(k);
    const o = i * h.stride + base;
    const day = Math.floor(h.openUs[i] / US_PER_DAY);
    const po = h.count[i] === 1 ? -1 : h.at(k - 1) * h.stride + base;
    const sameDay = po >= 0 && Math.floor(h.openUs[h.at(k - 1)] / US_PER_DAY) === day;
    const volume = h.volume[i];
    const priceVolume = (sameDay ? s[po + PRICE_VOLUME] : 0) + typicalPrice(h, i) * volume;
    const volumes = (sameDay ? s[po + VOLUME] : 0) + volume;
    s[o + PRICE_VOLUME] = priceVolume;
    s[o + VOLUME] = volumes;
    s[o + COUNT] = sameDay ? s[po + COUNT] + 1 : 1;
    if (volumes > 0) {
      s[o + VALUE] = priceVolume / volumes;
      s[o + WARM] = 0;
    } else {
      warmUp(h, o);
    }
  }

  private rolling(h: BarHistory, k: number, base: number): void {
    const s = h.slots;
    const i = h.at(k);
    const o = i * h.stride + base;
    const N = this.period;
    s[o + COUNT] = h.count[i];
    if (h.count[i] < N) {
      warmUp(h, o);
      return;
    }
    let priceVolume = 0;
    let volumes = 0;
    for (let j = k - N + 1; j <= k; j++) {
      const at = h.at(j);
      priceVolume += typicalPrice(h, at) * h.volume[at];
      volumes += h.volume[at];
    }
    if (volumes > 0) {
      s[o + VALUE] = priceVolume / volumes;
      s[o + WARM] = 0;
    } else {
      warmUp(h, o);
    }
  }
}
