/**
 * What one indicator implementation provides to the `indicators` operator: a step that computes its outputs at
 * one bar of a {@link BarHistory} from its state after the bar before, and the layout of its slots there.
 * Every indicator owns `SLOTS + stateSize` slots of each bar's state from its `base`: the five outputs (NaN = null), the
 * warm-up flag, the version last emitted, its own bar count and sequence, where its value is seeded, the epoch
 * bookkeeping of {@link placeSeed}, then its state. Before each step the caller places the seed; a step writes
 * the outputs it has (or calls {@link warmUp}), and the outputs it does not have stay NaN from the states'
 * creation on (no step writes them).
 */
import type { IndicatorName } from '../schemas/index.js';
import type { BarHistory } from './bar-history.js';
import type { Epochs } from './indicator-epochs.js';

/** Output slots, relative to an indicator's base. */
export const VALUE = 0, SIGNAL = 1, HISTOGRAM = 2, UPPER = 3, LOWER = 4;
/** 1 while warming up (the outputs are NaN). */
export const WARM = 5;
/** The version of the row last emitted for the bar (0: none yet). */
export const EMITTED = 6;
/** Bars the value has seen since its seed (barCount of the row). */
export const COUNT = 7;
/** The highest input sequence of those bars (the row's version). */
export const SEQUENCE = 8;
/** Where the value is seeded (µs): the row depends on the bars from here to its own, and on no other. */
export const SEED = 9;
// Epoch bookkeeping: the bar's epoch and where it ends, bars and highest sequence in it so far, the highest
// sequence of the epoch before.
const EPOCH = 10, EPOCH_END = 11, IN_COUNT = 12, IN_SEQUENCE = 13, BEFORE_SEQUENCE = 14;
/** Slots every indicator has; its state follows. */
export const SLOTS = 15;

/** How a bar's epoch follows the bar before it ({@link placeSeed}): the same epoch, the next one, or neither (a fresh seed). */
export const SAME = 0, NEXT = 1, RESET = 2;

/** One indicator over one stream's bars. */
export interface IndicatorCalc {
  readonly name: IndicatorName;
  readonly params: string;
  /** State slots after the common ones. */
  readonly stateSize: number;
  /** Bars before the current one whose prices the step reads (a window of N reads N − 1). */
  readonly lookback: number;
  /** Interval windows per epoch (0: UTC days); see operators/indicator-epochs.ts. */
  readonly epochWindows: number;
  /** Epochs back from a bar's own where its value is seeded: 1 (the start of the epoch before), 0 (its own). */
  readonly epochsBack: 0 | 1;
  /**
   * Computes the outputs (of a non-warm-up row), warm-up flag and state at logical position `k` of `h`, into
   * this indicator's slots of `h.states` from `o`, from its slots of position `k − 1` (from `po`) unless
   * `follows` is {@link RESET}.
   */
  step(h: BarHistory, k: number, o: number, po: number, follows: number): void;
}

/** Marks the row whose slots start at `o` as warm-up, with null (NaN) outputs. */
export function warmUp(h: BarHistory, o: number): void {
  const s = h.states;
  s[o + VALUE] = NaN; s[o + SIGNAL] = NaN; s[o + HISTOGRAM] = NaN; s[o + UPPER] = NaN; s[o + LOWER] = NaN;
  s[o + WARM] = 1;
}

/**
 * Places the seed of the row at slots `o` (the bar before at `po`, −1 for none): its epoch, {@link COUNT},
 * {@link SEQUENCE} and {@link SEED} over the bars since the start of epoch (own − `back`). Returns how the bar's
 * epoch follows the one before ({@link SAME}, {@link NEXT} or {@link RESET}).
 */
export function placeSeed(s: Float64Array, o: number, po: number, epochs: Epochs, back: number, openUs: number, sequence: number): number {
  if (po >= 0 && openUs < s[po + EPOCH_END]) {
    // The epoch of the bar before (which opened earlier): no division, the seed as it was.
    s[o + EPOCH] = s[po + EPOCH];
    s[o + EPOCH_END] = s[po + EPOCH_END];
    s[o + COUNT] = s[po + COUNT] + 1;
    s[o + IN_COUNT] = s[po + IN_COUNT] + 1;
    const inSequence = sequence > s[po + IN_SEQUENCE] ? sequence : s[po + IN_SEQUENCE];
    s[o + IN_SEQUENCE] = inSequence;
    s[o + BEFORE_SEQUENCE] = s[po + BEFORE_SEQUENCE];
    s[o + SEQUENCE] = inSequence > s[po + BEFORE_SEQUENCE] ? inSequence : s[po + BEFORE_SEQUENCE];
    s[o + SEED] = s[po + SEED];
    return SAME;
  }
  const epoch = epochs.of(openUs);
  let follows = RESET;
  let before = 0;
  if (back === 1 && po >= 0 && s[po + EPOCH] === epoch - 1) {
    follows = NEXT;
    before = s[po + IN_COUNT];
    s[o + BEFORE_SEQUENCE] = s[po + IN_SEQUENCE];
  } else {
    s[o + BEFORE_SEQUENCE] = 0;
  }
  s[o + IN_COUNT] = 1;
  s[o + IN_SEQUENCE] = sequence;
  s[o + EPOCH] = epoch;
  s[o + EPOCH_END] = epochs.startUs(epoch + 1);
  s[o + COUNT] = before + s[o + IN_COUNT];
  s[o + SEQUENCE] = s[o + IN_SEQUENCE] > s[o + BEFORE_SEQUENCE] ? s[o + IN_SEQUENCE] : s[o + BEFORE_SEQUENCE];
  s[o + SEED] = epochs.startUs(epoch - back);
  return follows;
}

/** Bars since the seed of the chain begun at this epoch's start (the next epoch's values), at slots `o`. */
export function countInEpoch(s: Float64Array, o: number): number {
  return s[o + IN_COUNT];
}
