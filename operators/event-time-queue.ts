/**
 * A min-heap of records ordered by event time, ties broken by arrival order (so equal times keep their
 * input order). Shared by the reordering operators (`watermark`, `mergeSources`).
 */
import type { AnyRecord } from '../schemas/index.js';

/** One held record; `record` may be replaced in place (a higher version of the same identity). */
export interface QueueEntry {
  record: AnyRecord;
  readonly eventTimeUs: number;
  readonly seq: number;
}

function before(a: QueueEntry, b: QueueEntry): boolean {
  return a.eventTimeUs < b.eventTimeUs || (a.eventTimeUs === b.eventTimeUs && a.seq < b.seq);
}

/** Records held until a watermark passes them. Memory: one entry per held record. */
export class EventTimeQueue {
  private readonly heap: QueueEntry[] = [];
  private seq = 0;

  /** Number of held records. */
  get size(): number {
    return this.heap.length;
  }

  /** Event time of the oldest held record; +∞ when empty. */
  get minEventUs(): number {
    return this.heap.length === 0 ? Infinity : this.heap[0].eventTimeUs;
  }

  /** Holds a record; returns its entry. */
  push(record: AnyRecord): QueueEntry {
    const entry: QueueEntry = { record, eventTimeUs: record.eventTimeUs, seq: this.seq++ };
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
    return entry;
  }

  /**
   * Removes and returns the oldest entry when its event time is strictly below `watermarkUs`, else undefined.
   * Callers release in a loop of these (oldest first) rather than take an array: one array per record was a
   * steady share of the serving chain's garbage.
   */
  popOneBelow(watermarkUs: number): QueueEntry | undefined {
    return this.heap.length > 0 && this.heap[0].eventTimeUs < watermarkUs ? this.popMin() : undefined;
  }

  private popMin(): QueueEntry {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop() as QueueEntry;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l], heap[m])) m = l;
        if (r < heap.length && before(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  }
}
