/**
 * The bars an indicator stream keeps, oldest first, in two rings that grow by doubling, addressed by the same
 * logical positions (0 = oldest held):
 * - the bars: per bar its times, prices, volume, input version and position in the stream (the columns below),
 *   one short row per bar, for every bar held (the windows read back over them);
 * - the states: `slots` numbers per bar (NaN until written) where the indicators keep their outputs and state
 *   *after* that bar —
 *   only for the newest bars, those a correction can still reach and the one before them, as many as
 *   {@link BarHistory.holdStates} was asked for. A corrected bar is recomputed from the state before it without
 *   reading the stream again, and the states of bars no correction reaches take no memory: with many streams
 *   interleaved, what a bar's step touches stays in the cache.
 */

/** Columns of a bar: open time and window end (µs), close, high, low, base-asset volume (NaN: none), the bar's own version, its 1-based position in the stream since the stream started. */
export const OPEN_US = 0, END_US = 1, CLOSE = 2, HIGH = 3, LOW = 4, VOLUME = 5, VERSION = 6, POSITION = 7;
/** Numbers per bar in {@link BarHistory.bars}. */
export const BAR_STRIDE = 8;

// Both rings are indexed by (head + position) & their mask: with power-of-two sizes up to 2^30, one head
// wrapped at 2^30 serves both.
const HEAD_MASK = 2 ** 30 - 1;

/** One stream's retained bars and the newest bars' states; see the module comment. */
export class BarHistory {
  /** Bars held. */
  size = 0;
  /** The bars: {@link BAR_STRIDE} numbers per bar, at {@link barAt} × BAR_STRIDE. */
  bars: Float64Array;
  /** The closes again, at {@link barAt}, side by side: what the windows (Bollinger Bands) read N of at every bar. */
  closes: Float64Array;
  /** The states: `stride` numbers per bar, at {@link stateAt} × stride, for the newest bars only. */
  states: Float64Array;
  /** Numbers per state. */
  readonly stride: number;
  private head = 0;
  private barMask: number;
  private stateMask: number;

  constructor(slots: number, capacity = 16) {
    const cap = 2 ** Math.ceil(Math.log2(Math.max(2, capacity)));
    this.barMask = cap - 1;
    this.stateMask = 1;
    this.stride = slots;
    this.bars = new Float64Array(cap * BAR_STRIDE);
    this.closes = new Float64Array(cap);
    this.states = new Float64Array(2 * slots).fill(NaN);
  }

  /** The bar ring index of logical position `k`. */
  barAt(k: number): number {
    return (this.head + k) & this.barMask;
  }

  /** The state ring index of logical position `k` (one of the newest {@link holdStates} asked for). */
  stateAt(k: number): number {
    return (this.head + k) & this.stateMask;
  }

  /** The logical position of the bar opening at `openUs`, or −(insertion point) − 1 when none is held. */
  find(openUs: number): number {
    const d = this.bars;
    let lo = 0;
    let hi = this.size - 1;
    if (hi >= 0 && d[this.barAt(hi) * BAR_STRIDE + OPEN_US] < openUs) return -(hi + 1) - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const t = d[this.barAt(mid) * BAR_STRIDE + OPEN_US];
      if (t < openUs) lo = mid + 1;
      else if (t > openUs) hi = mid - 1;
      else return mid;
    }
    return -lo - 1;
  }

  /**
   * Keeps the states of the newest `n` positions from here on (the state ring holds at least `n`): the caller
   * asks before a bar is placed, for every position it may still read a state at, the new bar's included.
   */
  holdStates(n: number): void {
    if (n > this.stateMask + 1) this.growStates(n);
  }

  /**
   * Makes room for a bar at logical position `k` (≤ size), moving later bars (and their states, which
   * {@link holdStates} must cover from k − 1 on) one up; returns its bar ring index.
   */
  insert(k: number): number {
    if (this.size === this.barMask + 1) this.growBars();
    const s = this.stride;
    const d = this.bars;
    const states = this.states;
    for (let j = this.size; j > k; j--) {
      const to = this.barAt(j), fro = this.barAt(j - 1);
      d.copyWithin(to * BAR_STRIDE, fro * BAR_STRIDE, (fro + 1) * BAR_STRIDE);
      this.closes[to] = this.closes[fro];
      const st = this.stateAt(j), sf = this.stateAt(j - 1);
      states.copyWithin(st * s, sf * s, (sf + 1) * s);
    }
    this.size++;
    return this.barAt(k);
  }

  /** Makes room for a bar after the newest; returns its bar ring index. */
  append(): number {
    if (this.size === this.barMask + 1) this.growBars();
    return this.barAt(this.size++);
  }

  /** Forgets the `n` oldest bars. */
  dropOldest(n: number): void {
    this.head = (this.head + n) & HEAD_MASK;
    this.size -= n;
  }

  private growBars(): void {
    const cap = (this.barMask + 1) * 2;
    const bars = new Float64Array(cap * BAR_STRIDE);
    const closes = new Float64Array(cap);
    const mask = cap - 1;
    for (let k = 0; k < this.size; k++) {
      const from = this.barAt(k), to = (this.head + k) & mask;
      bars.set(this.bars.subarray(from * BAR_STRIDE, (from + 1) * BAR_STRIDE), to * BAR_STRIDE);
      closes[to] = this.closes[from];
    }
    this.bars = bars;
    this.closes = closes;
    this.barMask = mask;
  }

  /** Grows the state ring to hold `n` states, keeping those of the newest positions it held. */
  private growStates(n: number): void {
    const cap = 2 ** Math.ceil(Math.log2(n));
    const s = this.stride;
    const states = new Float64Array(cap * s).fill(NaN);
    const mask = cap - 1;
    for (let k = Math.max(0, this.size - (this.stateMask + 1)); k < this.size; k++) {
      const from = this.stateAt(k), to = (this.head + k) & mask;
      states.set(this.states.subarray(from * s, (from + 1) * s), to * s);
    }
    this.states = states;
    this.stateMask = mask;
  }
}
