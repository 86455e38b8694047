import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { IdRanges } from '../../operators/id-ranges.js';

describe('IdRanges', () => {
  it('accepts each id once, in any order, like a Set would', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 200 }), (ids) => {
      const ranges = new IdRanges();
      const set = new Set<number>();
      for (const id of ids) assert.equal(ranges.add(id), !set.has(id) && set.add(id) !== undefined);
    }), { numRuns: 300 });
  });
});
