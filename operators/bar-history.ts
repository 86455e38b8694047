/**
 * The bars an indicator stream keeps, oldest first, as a ring of unboxed columns (Float64Arrays) that grows by
 * doubling: per bar its times, prices, volume, input version, the newest input sequence so far, its position in
 * the stream, and `stride` slots where the indicators keep their outputs and state *after* that bar — so a
 * corrected bar is recomputed from the state before it, without reading the stream again. Positions are
 * logical (0 = oldest held); {@link at} maps them onto the ring.
 */

const COLUMNS = ['openUs', 'endUs', 'close', 'high', 'low', 'volume', 'version', 'sequence', 'count'] as const;

/** One stream's retained bars; see the module comment. */
export class BarHistory {
  /** Bars held. */
  size = 0;
  openUs: Float64Array;
  endUs: Float64Array;
  close: Float64Array;
  high: Float64Array;
  low: Float64Array;
  /** Base-asset volume, 0 when the bar has none. */
  volume: Float64Array;
  /** The bar's own version (a copy with a higher one corrects it). */
  version: Float64Array;
  /** The highest input sequence (schemas/version.ts) of this bar and every bar before it. */
  sequence: Float64Array;
  /** 1-based position of the bar in its stream since the stream started. */
  count: Float64Array;
  /** `stride` slots per bar for the indicators. */
  slots: Float64Array;
  private head = 0;
  private mask: number;

  constructor(readonly stride: number, capacity = 16) {
    const cap = 2 ** Math.ceil(Math.log2(Math.max(2, capacity)));
    this.mask = cap - 1;
    this.openUs = new Float64Array(cap); this.endUs = new Float64Array(cap); this.close = new Float64Array(cap);
    this.high = new Float64Array(cap); this.low = new Float64Array(cap); this.volume = new Float64Array(cap);
    this.version = new Float64Array(cap); this.sequence = new Float64Array(cap); this.count = new Float64Array(cap);
    this.slots = new Float64Array(cap * stride);
  }

  /** The ring index of logical position `k`. */
  at(k: number): number {
    return (this.head + k) & this.mask;
  }

  /** The logical position of the bar opening at `openUs`, or −(insertion point) − 1 when none is held. */
  find(openUs: number): number {
    let lo = 0;
    let hi = this.size - 1;
    if (hi >= 0 && this.openUs[this.at(hi)] < openUs) return -(hi + 1) - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const t = this.openUs[this.at(mid)];
      if (t < openUs) lo = mid + 1;
      else if (t > openUs) hi = mid - 1;
      else return mid;
    }
    return -lo - 1;
  }

  /** Makes room for a bar at logical position `k` (≤ size), moving later bars one up; returns its ring index. */
  insert(k: number): number {
    if (this.size === this.mask + 1) this.grow();
    for (let j = this.size; j > k; j--) this.copy(this.at(j - 1), this.at(j));
    this.size++;
    return this.at(k);
  }

  /** Forgets the `n` oldest bars. */
  dropOldest(n: number): void {
    this.head = (this.head + n) & this.mask;
    this.size -= n;
  }

  private copy(from: number, to: number): void {
    for (const column of COLUMNS) this[column][to] = this[column][from];
    this.slots.copyWithin(to * this.stride, from * this.stride, (from + 1) * this.stride);
  }

  private grow(): void {
    const cap = (this.mask + 1) * 2;
    for (const column of COLUMNS) {
      const next = new Float64Array(cap);
      for (let k = 0; k < this.size; k++) next[k] = this[column][this.at(k)];
      this[column] = next;
    }
    const slots = new Float64Array(cap * this.stride);
    for (let k = 0; k < this.size; k++) slots.set(this.slots.subarray(this.at(k) * this.stride, (this.at(k) + 1) * this.stride), k * this.stride);
    this.slots = slots;
    this.head = 0;
    this.mask = cap - 1;
  }
}
