/**
 * A set of integer ids kept as sorted disjoint ranges — compact for ids that are mostly contiguous (trade
 * ids, kline window numbers), exact with holes. `resample` uses one per bar to count each input once; the archive parser one per file,
 * so that every row identity (trade id, kline window) is loaded once whatever the rows' order.
 * Memory: two numbers per run of consecutive ids; the array is kept when cleared (bars are reused, and
 * `length = 0` released the backing store, so the next add allocated a new one: ~150 bytes per reused bar,
 * a sixth of what validate → dedupe → resample allocated per record — bench/operators.ts).
 */
export class IdRanges {
  /** Flat `[first0, last0, first1, last1, …]` up to `end`, sorted, disjoint, not adjacent; beyond: spare. */
  private readonly ranges: number[] = [];
  private end = 0;

  /** Forgets every id (for reuse); keeps the storage. */
  clear(): void {
    this.end = 0;
  }

  /** Number of ranges held. */
  get size(): number {
    return this.end / 2;
  }

  /** Adds an id; false when it was already present. */
  add(id: number): boolean {
    const r = this.ranges;
    const n = this.end;
    if (n === 0) {
      r[0] = id;
      r[1] = id;
      this.end = 2;
      return true;
    }
    if (id === r[n - 1] + 1) {
      r[n - 1] = id;
      return true;
    }
    if (id > r[n - 1] + 1) {
      r[n] = id;
      r[n + 1] = id;
      this.end = n + 2;
      return true;
    }
    return this.insert(id);
  }

  /** The slow path: an id at or before the last range (binary search over range starts). */
  private insert(id: number): boolean {
    const r = this.ranges;
    const count = this.end / 2;
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (r[2 * mid] <= id) lo = mid + 1;
      else hi = mid;
    }
    const before = lo - 1;
    if (before >= 0 && id <= r[2 * before + 1]) return false;
    const joinsBefore = before >= 0 && r[2 * before + 1] === id - 1;
    const joinsAfter = lo < count && r[2 * lo] === id + 1;
    if (joinsBefore && joinsAfter) {
      // The id fills the hole between two ranges: they become one.
      r[2 * before + 1] = r[2 * lo + 1];
      this.remove(2 * lo);
    } else if (joinsBefore) {
      r[2 * before + 1] = id;
    } else if (joinsAfter) {
      r[2 * lo] = id;
    } else {
      this.open(2 * lo);
      r[2 * lo] = id;
      r[2 * lo + 1] = id;
    }
    return true;
  }

  /** Removes the range starting at flat index `at`. */
  private remove(at: number): void {
    const r = this.ranges;
    for (let i = at; i + 2 < this.end; i++) r[i] = r[i + 2];
    this.end -= 2;
  }

  /** Makes room for a range at flat index `at` (the caller fills it). */
  private open(at: number): void {
    const r = this.ranges;
    while (r.length < this.end + 2) r.push(0);
    for (let i = this.end + 1; i >= at + 2; i--) r[i] = r[i - 2];
    this.end += 2;
  }
}
