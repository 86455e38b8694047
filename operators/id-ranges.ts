/**
 * A set of integer ids kept as sorted disjoint ranges — compact for ids that are mostly contiguous (trade
 * ids, kline window numbers), exact with holes. `resample` uses one per bar to count each input once.
 * Memory: two numbers per run of consecutive ids.
 */
export class IdRanges {
  /** Flat `[first0, last0, first1, last1, …]`, sorted, disjoint, not adjacent. */
  private readonly ranges: number[] = [];

  /** Forgets every id (for reuse). */
  clear(): void {
    this.ranges.length = 0;
  }

  /** Adds an id; false when it was already present. */
  add(id: number): boolean {
    const r = this.ranges;
    const n = r.length;
    if (n === 0) {
      r.push(id, id);
      return true;
    }
    if (id === r[n - 1] + 1) {
      r[n - 1] = id;
      return true;
    }
    if (id > r[n - 1] + 1) {
      r.push(id, id);
      return true;
    }
    return this.insert(id);
  }

  /** The slow path: an id at or before the last range (binary search over range starts). */
  private insert(id: number): boolean {
    const r = this.ranges;
    let lo = 0;
    let hi = r.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (r[2 * mid] <= id) lo = mid + 1;
      else hi = mid;
    }
    const before = lo - 1;
    if (before >= 0 && id <= r[2 * before + 1]) return false;
    const joinsBefore = before >= 0 && r[2 * before + 1] === id - 1;
    const joinsAfter = lo < r.length / 2 && r[2 * lo] === id + 1;
    if (joinsBefore && joinsAfter) r.splice(2 * before + 1, 2);
    else if (joinsBefore) r[2 * before + 1] = id;
    else if (joinsAfter) r[2 * lo] = id;
    else r.splice(2 * lo, 0, id, id);
    return true;
  }
}
