import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { from, identity, map, Observable, take, type MonoTypeOperatorFunction } from 'rxjs';
import { dedupe } from '../../operators/dedupe.js';
import { detectGaps } from '../../operators/detect-gaps.js';
import { resample } from '../../operators/resample.js';
import { validate } from '../../operators/validate.js';
import { watermark } from '../../operators/watermark.js';
import type { AnyRecord } from '../../schemas/index.js';
import { collect, minute, trade } from './support.js';

/** The chain as one run of record operators, or kept apart by `map(identity)` between them. */
function chain(apart: boolean): MonoTypeOperatorFunction<AnyRecord>[] {
  const gap = apart ? map(identity) : identity;
  return [validate(), gap, watermark({ maxOutOfOrderUs: 30_000_000 }), gap, dedupe({ maxOutOfOrderUs: 30_000_000 }), gap, detectGaps(), gap, resample({ intervals: ['1m', '5m'], maxOutOfOrderUs: 30_000_000 })] as MonoTypeOperatorFunction<AnyRecord>[];
}

const pipeAll = (input: AnyRecord[], ops: MonoTypeOperatorFunction<AnyRecord>[]) => (from(input).pipe as (...o: MonoTypeOperatorFunction<AnyRecord>[]) => ReturnType<typeof from<AnyRecord[]>>)(...ops);

describe('record operators piped one after another', () => {
  it('run as one (fused) with exactly the output of the same operators kept apart, completion flushes included', async () => {
    const ids = fc.array(fc.record({ id: fc.integer({ min: 1, max: 60 }), late: fc.integer({ min: 0, max: 40 }), bad: fc.boolean() }), { maxLength: 120 });
    await fc.assert(fc.asyncProperty(ids, async (rows) => {
      const input = rows.map(({ id, late, bad }) => trade(id, minute(id) - late * 1_000_000 + 1, bad && id % 7 === 0 ? { price: -1 } : {}));
      const fused = await collect(pipeAll(input, chain(false)));
      const apart = await collect(pipeAll(input, chain(true)));
      assert.deepEqual(fused, apart);
    }), { numRuns: 120 });
  });

  it('stop early through take() and an error in a later operator ends the whole run', async () => {
    const input = Array.from({ length: 50 }, (_, i) => trade(i + 1, minute(i)));
    assert.equal((await collect(pipeAll(input, [...chain(false), take(3)]))).length, 3);
    const throwing = validate({ check: (r) => { if (r.kind === 'trade' && r.tradeId === 5) throw new Error('boom'); return null; } });
    await assert.rejects(collect(pipeAll(input, [dedupe(), throwing, resample({ intervals: ['1m'] })])), /boom/);
  });

  it('look a reused record object up afresh for every emission (a producer that mutates one scratch record)', async () => {
    // Two symbols through one scratch object: the run's shared stream lookup must not carry the stream of
    // the previous emission over to the next one, or the two symbols' trades land in one stream.
    const scratch = trade(1, minute(0));
    const source = new Observable<AnyRecord>((subscriber) => {
      for (let i = 0; i < 20; i++) {
        Object.assign(scratch, { symbol: i % 2 === 0 ? 'AAAUSDT' : 'BBBUSDT', tradeId: Math.floor(i / 2) + 1, eventTimeUs: minute(Math.floor(i / 2)) });
        subscriber.next(scratch);
      }
      subscriber.complete();
    });
    const bars = (await collect(source.pipe(validate(), dedupe(), resample({ intervals: ['1m'], passThrough: false }))))
      .filter((r): r is Extract<AnyRecord, { kind: 'kline' }> => r.kind === 'kline');
    assert.deepEqual(bars.map((b) => `${b.symbol}:${b.tradeCount}`).sort(), Array.from({ length: 10 }, () => ['AAAUSDT:1', 'BBBUSDT:1']).flat().sort());
  });
});
