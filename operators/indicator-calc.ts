/**
 * What one indicator implementation provides to the `indicators` operator: a step that computes its outputs at
 * one bar of a {@link BarHistory} from its state after the bar before, and the layout of its slots there.
 * Every indicator owns `SLOTS + stateSize` slots per bar from its `base`: the five outputs (NaN = null), the
 * warm-up flag, the version last emitted, its own bar count, then its state. Before each step the caller sets
 * the five outputs to NaN; a step writes only the outputs it has.
 */
import type { IndicatorName } from '../schemas/index.js';
import type { BarHistory } from './bar-history.js';

/** Output slots, relative to an indicator's base. */
export const VALUE = 0, SIGNAL = 1, HISTOGRAM = 2, UPPER = 3, LOWER = 4;
/** 1 while warming up (the outputs are NaN). */
export const WARM = 5;
/** The version of the row last emitted for the bar (0: none yet). */
export const EMITTED = 6;
/** Bars the value has seen (barCount of the row). */
export const COUNT = 7;
/** Slots every indicator has; its state follows. */
export const SLOTS = 8;

/** One indicator over one stream's bars. */
export interface IndicatorCalc {
  readonly name: IndicatorName;
  readonly params: string;
  /** State slots after the common ones. */
  readonly stateSize: number;
  /** Bars before the current one whose prices the step reads (a window of N reads N − 1). */
  readonly lookback: number;
  /**
   * Computes the outputs (of a non-warm-up row), warm-up flag, count and state at logical position `k` of `h`, from the slots of
   * position `k − 1` (present whenever `h.count` at `k` is above 1). `base` is the first slot of this indicator.
   */
  step(h: BarHistory, k: number, base: number): void;
}

/** Marks the row whose slots start at `o` as warm-up (its outputs stay NaN: the caller resets them before each step). */
export function warmUp(h: BarHistory, o: number): void {
  h.slots[o + WARM] = 1;
}
