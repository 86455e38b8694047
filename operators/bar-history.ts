/**
 * The bars an indicator stream keeps, oldest first, as a ring of rows in one Float64Array that grows by
 * doubling: per bar its times, prices, volume, input version and position in the stream (the columns below),
 * then `slots` where the indicators keep their outputs and state *after* that bar — so a corrected bar is
 * recomputed from the state before it, without reading the stream again. One row per bar, side by side: a bar's
 * step reads and writes its row and the one before, a few adjacent cache lines, however many streams
 * interleave. Positions are logical (0 = oldest held); {@link at} maps them onto the ring.
 */

/** Columns of a row: open time and window end (µs), close, high, low, base-asset volume (NaN: none), the bar's own version, its 1-based position in the stream since the stream started. */
export const OPEN_US = 0, END_US = 1, CLOSE = 2, HIGH = 3, LOW = 4, VOLUME = 5, VERSION = 6, POSITION = 7;
/** The first indicator slot of a row. */
export const FIRST_SLOT = 8;

/** One stream's retained bars; see the module comment. */
export class BarHistory {
  /** Bars held. */
  size = 0;
  /** The rows: `stride` numbers per bar, ring index × stride. */
  data: Float64Array;
  /** Numbers per row: the columns, then the slots. */
  readonly stride: number;
  /** The closes again, by ring index, side by side: what the windows (Bollinger Bands) read N of at every bar. */
  closes: Float64Array;
  private head = 0;
  private mask: number;

  constructor(slots: number, capacity = 16) {
    const cap = 2 ** Math.ceil(Math.log2(Math.max(2, capacity)));
    this.mask = cap - 1;
    this.stride = FIRST_SLOT + slots;
    this.data = new Float64Array(cap * this.stride);
    this.closes = new Float64Array(cap);
  }

  /** The ring index of logical position `k`. */
  at(k: number): number {
    return (this.head + k) & this.mask;
  }

  /** The logical position of the bar opening at `openUs`, or −(insertion point) − 1 when none is held. */
  find(openUs: number): number {
    const d = this.data;
    let lo = 0;
    let hi = this.size - 1;
    if (hi >= 0 && d[this.at(hi) * this.stride + OPEN_US] < openUs) return -(hi + 1) - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const t = d[this.at(mid) * this.stride + OPEN_US];
      if (t < openUs) lo = mid + 1;
      else if (t > openUs) hi = mid - 1;
      else return mid;
    }
    return -lo - 1;
  }

  /** Makes room for a bar at logical position `k` (≤ size), moving later bars one up; returns its ring index. */
  insert(k: number): number {
    if (this.size === this.mask + 1) this.grow();
    const s = this.stride;
    for (let j = this.size; j > k; j--) {
      this.data.copyWithin(this.at(j) * s, this.at(j - 1) * s, (this.at(j - 1) + 1) * s);
      this.closes[this.at(j)] = this.closes[this.at(j - 1)];
    }
    this.size++;
    return this.at(k);
  }

  /** Forgets the `n` oldest bars. */
  dropOldest(n: number): void {
    this.head = (this.head + n) & this.mask;
    this.size -= n;
  }

  private grow(): void {
    const cap = (this.mask + 1) * 2;
    const s = this.stride;
    const data = new Float64Array(cap * s);
    const closes = new Float64Array(cap);
    for (let k = 0; k < this.size; k++) {
      data.set(this.data.subarray(this.at(k) * s, (this.at(k) + 1) * s), k * s);
      closes[k] = this.closes[this.at(k)];
    }
    this.data = data;
    this.closes = closes;
    this.head = 0;
    this.mask = cap - 1;
  }
}
