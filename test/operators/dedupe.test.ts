import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { from, tap } from 'rxjs';
import { dedupe, HeldIdentities, type DedupeOptions } from '../../operators/dedupe.js';
import { identityKeyOf, makeVersion, type AnyRecord, type Source } from '../../schemas/index.js';
import { collect, itFollowsTheChecklist, kline, marbles, minute, trade } from './support.js';

async function run(input: readonly AnyRecord[], options: DedupeOptions = {}): Promise<AnyRecord[]> {
  return collect(from(input).pipe(dedupe(options)));
}

const copy = (id: number, source: Source, seqMs = 1, closed = true) => trade(id, id * 1000, { source, version: makeVersion(source, seqMs, closed) });

describe('dedupe', () => {
  describe('marble checklist', () => {
    const [a, b, c] = [trade(1, 1), trade(2, 2), trade(3, 3)];
    itFollowsTheChecklist({
      operator: () => dedupe(),
      throwing: () => dedupe({ identityOf: () => { throw new Error('boom'); } }),
      endless: { values: { a, b, c }, expected: '-a-b-c-', expectedValues: { a, b, c } },
      nth: (i) => trade(i, i),
    });
  });

  it('drops repeats and lower versions and lets a higher version through as a correction', () => {
    const ws = copy(1, 'ws');
    const rest = copy(1, 'rest');
    const archive = copy(1, 'archive');
    marbles(({ cold, expectObservable }) => {
      const source = cold('wrwaxr|', { w: ws, r: rest, a: archive, x: copy(1, 'ws', 9) });
      expectObservable(source.pipe(dedupe({ maxOutOfOrderUs: 10_000 }))).toBe('wr-a--|', { w: ws, r: rest, a: archive });
    });
  });

  it('keeps an open live kline update only while it beats what was seen, and the closed one over it', async () => {
    const open1 = kline(minute(0), { source: 'ws', isClosed: false, version: makeVersion('ws', 1, false) });
    const open2 = { ...open1, version: makeVersion('ws', 2, false) };
    const closed = { ...open1, isClosed: true, version: makeVersion('ws', 3, true) };
    assert.deepEqual(await run([open1, open2, open1, closed, open2]), [open1, open2, closed]);
  });

  it('forgets identities behind the watermark, unless a retention keeps them longer', async () => {
    const late = [copy(1, 'ws'), copy(2, 'ws'), copy(50, 'ws'), copy(1, 'ws')];
    assert.equal((await run(late)).length, 4);
    assert.equal((await run(late, { retentionUs: 100_000 })).length, 3);
  });

  it('holds a bounded number of identities however long the stream', async () => {
    let keysHeld = (): number => -1;
    const seen: number[] = [];
    const input = Array.from({ length: 5000 }, (_, i) => trade(i, i * 10));
    await collect(from(input).pipe(
      dedupe({ maxOutOfOrderUs: 100, stateProbe: (probe) => { keysHeld = probe; } }),
      tap(() => seen.push(keysHeld())),
    ));
    assert.ok(Math.max(...seen) <= 12, `held at most ${Math.max(...seen)}`);
  });

  it('counts the copies it drops (dedupe hits) through dropProbe, not the upgrades it passes', async () => {
    let dropped = (): number => -1;
    const ws = makeVersion('ws', 1_000);
    const archive = makeVersion('archive', 0);
    const input = [trade(1, 10, { version: ws }), trade(1, 10, { version: ws }), trade(2, 20, { version: ws }), trade(1, 10, { version: archive }), trade(1, 10, { version: ws }), trade(2, 20, { version: ws })];
    const out = await collect(from(input).pipe(dedupe({ maxOutOfOrderUs: 1_000, dropProbe: (probe) => { dropped = probe; } })));
    assert.equal(out.length, 3, 'the first copy of 1 and 2, and the archive upgrade of 1');
    assert.equal(dropped(), 3);
  });

  it('reclaims the memory of forgotten identities as it goes, not only after a thousand of them', () => {
    // A stream that always holds its newest identity (time-ordered input) used to grow its array by one
    // entry per record until 1,024 were dead: ~25 MB of churn over 1,000 streams.
    for (const live of [1, 100]) {
      const held = new HeldIdentities();
      let maxCapacity = 0;
      for (let i = 0; i < 20_000; i++) {
        held.hold(i, { version: 1, eventTimeUs: i });
        held.prune({ watermarkUs: i - live + 1 }, 0);
        maxCapacity = Math.max(maxCapacity, held.capacity);
      }
      assert.ok(maxCapacity <= 2 * live + 3, `${live} live identities: capacity reached ${maxCapacity}`);
      assert.ok(held.find(19_999) >= 0 && held.find(19_999 - live) === -1);
    }
  });

  describe('laws (property tests)', () => {
    const copies = fc.array(fc.record({ id: fc.integer({ min: 1, max: 30 }), source: fc.constantFrom<Source>('archive', 'rest', 'ws'), seq: fc.integer({ min: 0, max: 5 }) }), { maxLength: 150 })
      .map((rows) => rows.map((r) => copy(r.id, r.source, r.seq)));
    const options: DedupeOptions = { maxOutOfOrderUs: 10_000 };

    it('dedupe twice equals dedupe once', async () => {
      await fc.assert(fc.asyncProperty(copies, async (input) => {
        const once = await run(input, options);
        assert.deepEqual(await collect(from(once).pipe(dedupe(options), dedupe(options))), once);
      }), { numRuns: 200 });
    });

    it('emits every identity with its highest version, each later copy of an identity with a strictly higher version', async () => {
      await fc.assert(fc.asyncProperty(copies, async (input) => {
        const out = await run(input, { retentionUs: Infinity });
        const best = new Map<string, number>();
        for (const r of input) best.set(identityKeyOf(r), Math.max(best.get(identityKeyOf(r)) ?? -1, r.version));
        const last = new Map<string, number>();
        for (const r of out) {
          assert.ok(r.version > (last.get(identityKeyOf(r)) ?? -1));
          last.set(identityKeyOf(r), r.version);
        }
        assert.deepEqual(last, best);
      }), { numRuns: 200 });
    });
  });
});
