import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { from, type MonoTypeOperatorFunction } from 'rxjs';
import { mergeSources, type MergeSourcesOptions } from '../../operators/merge-sources.js';
import { identityKeyOf, makeVersion, streamKeyOf, type AnyRecord, type Source } from '../../schemas/index.js';
import { boundedDisorder, collect, itFollowsTheChecklist, marbles, trade } from './support.js';

const asOperator = (options: MergeSourcesOptions = {}): MonoTypeOperatorFunction<AnyRecord> => (source) => mergeSources([source], options);
const from_ = (source: Source, id: number, t: number, seqMs = 1) => trade(id, t, { source, version: makeVersion(source, seqMs), ingestId: `${source}:${id}` });

describe('mergeSources', () => {
  describe('marble checklist', () => {
    const [a, b, c] = [trade(1, 1), trade(2, 2), trade(3, 3)];
    itFollowsTheChecklist({
      operator: () => asOperator(),
      throwing: () => asOperator({ keyOf: () => { throw new Error('boom'); } }),
      endless: { values: { a, b, c }, expected: '---a-b-', expectedValues: { a, b } },
      nth: (i) => trade(i, i),
    });
  });

  it('interleaves archive and live copies in event-time order and keeps the archive copy of a conflict', () => {
    const [w1, w2, w3] = [from_('ws', 1, 10), from_('ws', 2, 20), from_('ws', 3, 30)];
    const [a1, a2] = [from_('archive', 1, 10), from_('archive', 2, 20)];
    marbles(({ cold, expectObservable }) => {
      const live = cold('a-b---c|', { a: w1, b: w2, c: w3 });
      const archive = cold('--x-y--|', { x: a1, y: a2 });
      expectObservable(mergeSources([archive, live])).toBe('----x--(yz|)', { x: a1, y: a2, z: w3 });
    });
  });

  it('counts the copies it collapses (dedupe hits) through collapseProbe', async () => {
    let collapsed = (): number => -1;
    const input = [from_('ws', 1, 10), from_('ws', 1, 10), from_('archive', 1, 10), from_('ws', 2, 20), from_('ws', 3, 30)];
    const out = await collect(from(input).pipe(asOperator({ maxOutOfOrderUs: 100, collapseProbe: (probe) => { collapsed = probe; } })));
    assert.deepEqual(out.map((r) => r.source), ['archive', 'ws', 'ws'], 'one copy of trade 1, the archive one');
    assert.equal(collapsed(), 2);
  });

  it('stops waiting for a silent source after the idle timeout', () => {
    const [w1, w2, w3] = [from_('ws', 1, 10), from_('ws', 2, 20), from_('ws', 3, 30)];
    marbles(({ cold, expectObservable, time }) => {
      const live = cold('a-b---c-', { a: w1, b: w2, c: w3 });
      const silentArchive = cold<AnyRecord>('--------');
      const idleTimeoutMs = time('-----|');
      expectObservable(mergeSources([silentArchive, live], { idleTimeoutMs })).toBe('------(xy)', { x: w1, y: w2 });
    });
  });

  it('completes at once without sources and passes any source error through', async () => {
    assert.deepEqual(await collect(mergeSources([])), []);
    marbles(({ cold, expectObservable }) => {
      expectObservable(mergeSources([cold('a--', { a: trade(1, 1) }), cold('-#')])).toBe('-#');
    });
  });

  describe('laws (property tests)', () => {
    it('emits each identity once, with its highest version, sorted by event time within each key', async () => {
      const source = fc.tuple(boundedDisorder(40), fc.constantFrom<Source>('archive', 'rest', 'ws'), fc.boolean());
      await fc.assert(fc.asyncProperty(fc.array(source, { minLength: 1, maxLength: 3 }), async (sources) => {
        const inputs = sources.map(([times, layer, eth]) => times.map((t) => ({ ...from_(layer, t, t), symbol: eth ? 'ETHUSDT' : 'BTCUSDT' })));
        const out = await collect(mergeSources(inputs.map((records) => from(records)), { maxOutOfOrderUs: 40 }));
        const best = new Map<string, number>();
        for (const r of inputs.flat()) best.set(identityKeyOf(r), Math.max(best.get(identityKeyOf(r)) ?? -1, r.version));
        assert.deepEqual(new Map(out.map((r) => [identityKeyOf(r), r.version])), best);
        assert.equal(out.length, best.size);
        for (const key of new Set(out.map(streamKeyOf))) {
          const times = out.filter((r) => streamKeyOf(r) === key).map((r) => r.eventTimeUs);
          assert.deepEqual(times, [...times].sort((x, y) => x - y));
        }
      }), { numRuns: 150 });
    });
  });
});
