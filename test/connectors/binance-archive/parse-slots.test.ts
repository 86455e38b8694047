import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParseSlots } from '../../../connectors/binance-archive/parse-slots.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ParseSlots', () => {
  it('admits files while their bytes fit the budget, always one, at most maxFiles, in arrival order', async () => {
    const slots = new ParseSlots(100, 3);
    const admitted: string[] = [];
    const never = new AbortController().signal;
    const take = (name: string, weight: number): Promise<() => void> => slots.take(weight, never).then((release) => { admitted.push(name); return release; });
    const big = take('big', 500); // over the budget, but alone: admitted
    const small = take('small', 10); // waits: 'big' holds more than the budget
    await tick();
    assert.deepEqual(admitted, ['big']);
    (await big)();
    await tick();
    const a = take('a', 40);
    const b = take('b', 40); // 10 + 40 + 40 = 90 ≤ 100, 3 files
    const c = take('c', 5); // a 4th file: over maxFiles
    await tick();
    assert.deepEqual(admitted, ['big', 'small', 'a', 'b']);
    (await small)();
    await tick();
    assert.deepEqual(admitted, ['big', 'small', 'a', 'b', 'c']);
    for (const release of await Promise.all([a, b, c])) release();
  });

  it('keeps arrival order: a later small file does not pass a waiting big one', async () => {
    const slots = new ParseSlots(100, 8);
    const never = new AbortController().signal;
    const first = await slots.take(60, never);
    const order: string[] = [];
    const big = slots.take(60, never).then((r) => { order.push('big'); return r; });
    const small = slots.take(10, never).then((r) => { order.push('small'); return r; });
    await tick();
    assert.deepEqual(order, []);
    first();
    (await big)();
    (await small)();
    assert.deepEqual(order, ['big', 'small']);
  });

  it('rejects a waiting take when its signal aborts, and releases are idempotent', async () => {
    const slots = new ParseSlots(10, 1);
    const never = new AbortController().signal;
    const held = await slots.take(5, never);
    const abort = new AbortController();
    const waiting = slots.take(5, abort.signal);
    abort.abort(new Error('stop'));
    await assert.rejects(waiting, /stop/);
    held();
    held();
    const next = await slots.take(5, never); // the aborted one left no claim behind, and the double release none
    const again = slots.take(5, never);
    let admitted = false;
    void again.then(() => { admitted = true; });
    await tick();
    assert.equal(admitted, false, 'maxFiles 1: one holder at a time');
    next();
    (await again)();
  });
});
