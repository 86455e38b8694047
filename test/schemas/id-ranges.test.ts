import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { IdRanges } from '../../schemas/id-ranges.js';

describe('IdRanges', () => {
  it('accepts each id once, in any order, like a Set would', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 200 }), (ids) => {
      const ranges = new IdRanges();
      const set = new Set<number>();
      for (const id of ids) assert.equal(ranges.add(id), !set.has(id) && set.add(id) !== undefined);
    }), { numRuns: 300 });
  });

  it('after clear, behaves as new (the storage kept from before does not leak into the set)', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 100 }),
      fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 100 }),
      (first, second) => {
        const ranges = new IdRanges();
        for (const id of first) ranges.add(id);
        ranges.clear();
        assert.equal(ranges.size, 0);
        const set = new Set<number>();
        for (const id of second) assert.equal(ranges.add(id), !set.has(id) && set.add(id) !== undefined);
        const sorted = [...set].sort((a, b) => a - b);
        const runs = sorted.filter((id, i) => i === 0 || sorted[i - 1] !== id - 1).length;
        assert.equal(ranges.size, runs, 'one range per run of consecutive ids');
      },
    ), { numRuns: 300 });
  });
});
