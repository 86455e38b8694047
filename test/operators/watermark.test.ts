import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { from } from 'rxjs';
import { noState, watermark, WatermarkTracker } from '../../operators/watermark.js';
import { streamKeyOf, type AnyRecord } from '../../schemas/index.js';
import { boundedDisorder, collect, itFollowsTheChecklist, marbles, trade } from './support.js';

const eth = (id: number, t: number) => trade(id, t, { symbol: 'ETHUSDT' });

describe('watermark', () => {
  describe('marble checklist', () => {
    const [a, b, c] = [trade(1, 1), trade(2, 2), trade(3, 3)];
    itFollowsTheChecklist({
      operator: () => watermark(),
      throwing: () => watermark({ keyOf: () => { throw new Error('boom'); } }),
      endless: { values: { a, b, c }, expected: '---a-b-', expectedValues: { a, b } },
      nth: (i) => trade(i, i),
    });
  });

  it('releases records in event-time order once the watermark passes them, and flushes on completion', () => {
    const [t5, t3, t7, t4, t12] = [trade(5, 5), trade(3, 3), trade(7, 7), trade(4, 4), trade(12, 12)];
    marbles(({ cold, expectObservable }) => {
      const source = cold('abcde-------|', { a: t5, b: t3, c: t7, d: t4, e: t12 });
      expectObservable(source.pipe(watermark({ maxOutOfOrderUs: 3 }))).toBe('--x-(yzw)---(v|)', { x: t3, y: t4, z: t5, w: t7, v: t12 });
    });
  });

  it('emits a record that is later than the out-of-orderness allows at once instead of dropping it', async () => {
    const out = await collect(from([trade(10, 10), trade(11, 11), trade(1, 1)]).pipe(watermark()));
    assert.deepEqual(out.map((r) => r.eventTimeUs), [10, 1, 11]);
  });

  it('keeps streams apart: a quiet stream holds nothing back, and goes to the frontier once idle', () => {
    const btc = trade(1, 100);
    const [e1, e2, e3, e4] = [eth(1, 100), eth(2, 200), eth(3, 300), eth(4, 400)];
    marbles(({ cold, expectObservable }) => {
      const source = cold('ab-c-d---e-', { a: btc, b: e1, c: e2, d: e3, e: e4 });
      expectObservable(source.pipe(watermark({ idleTimeoutMs: 6 }))).toBe('---c-d---(fe)', { c: e1, d: e2, e: btc, f: e3 });
    });
  });

  it('tracks one watermark per key with a bounded out-of-orderness and never moves it back', () => {
    const tracker = new WatermarkTracker({ maxOutOfOrderUs: 10 }, noState);
    assert.equal(tracker.observe('a', 100).watermarkUs, 90);
    assert.equal(tracker.observe('a', 50).watermarkUs, 90);
    assert.equal(tracker.observe('b', 20).watermarkUs, 10);
    assert.equal(tracker.frontierUs, 90);
    assert.equal(tracker.size, 2);
  });

  describe('laws (property tests)', () => {
    it('emits a permutation of its input, sorted by event time within each key when disorder stays in bounds', async () => {
      await fc.assert(fc.asyncProperty(boundedDisorder(50), boundedDisorder(50), async (a, b) => {
        const input: AnyRecord[] = [];
        for (let i = 0; i < Math.max(a.length, b.length); i++) {
          if (i < a.length) input.push(trade(i, a[i]));
          if (i < b.length) input.push(eth(i, b[i]));
        }
        const out = await collect(from(input).pipe(watermark({ maxOutOfOrderUs: 50 })));
        assert.equal(out.length, input.length);
        for (const key of new Set(input.map(streamKeyOf))) {
          const times = out.filter((r) => streamKeyOf(r) === key).map((r) => r.eventTimeUs);
          assert.deepEqual(times, [...times].sort((x, y) => x - y));
        }
      }), { numRuns: 150 });
    });
  });
});
