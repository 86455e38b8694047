import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

/**
 * The pattern of a live pipeline's start: objects of one allocation site wait long enough to survive
 * scavenges (a backlog while the producer connects), then the same site makes short-lived objects at a
 * steady rate. V8 marks such a site "tenure" and from then on allocates its objects in the old generation,
 * where only mark-compacts collect them. Counted in a fresh process, since the flag is process-wide, from
 * V8's own trace of its pretenuring decisions. Counting major collections or old-space growth instead was
 * flaky (a machine's heap size and the timing of concurrent compilation change when a decision is taken and
 * whether a later mark-compact undoes it), so the child runs single-threaded with a pinned young generation:
 * the decisions are then the same on every machine.
 */
async function tenureDecisionsAfterBacklog(keepYoung: boolean): Promise<number> {
  const script = `
    import { keepLiveObjectsYoung } from './pipelines/live-heap.ts';
    if (${keepYoung}) keepLiveObjectsYoung();
    const make = (i) => ({ id: i, price: i * 0.5, list: [i, i + 1] });
    let backlog = [];
    for (let i = 0; i < 400_000; i++) backlog.push(make(i));
    backlog = null;
    for (let round = 0; round < 200; round++) {
      const batch = [];
      for (let i = 0; i < 10_000; i++) batch.push(make(i));
      await new Promise((resolve) => setImmediate(resolve));
    }`;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--single-threaded', '--max-semi-space-size=16', '--trace-pretenuring-statistics', '--import', 'tsx', '--input-type=module', '-e', script],
    { timeout: 60_000, maxBuffer: 64 * 1024 * 1024, cwd: fileURLToPath(new URL('../..', import.meta.url)) },
  );
  return stdout.split('\n').filter((line) => line.includes('=> tenure')).length;
}

test('keepLiveObjectsYoung: V8 takes no pretenuring decision for a site whose objects once survived scavenges', async () => {
  assert.ok(await tenureDecisionsAfterBacklog(false) >= 1, 'the workload gets its sites pretenured without the flag (else this test proves nothing)');
  assert.equal(await tenureDecisionsAfterBacklog(true), 0);
});

/**
 * The pattern of a live pipeline whose sink lags: a backlog of records waits long enough to be promoted, and
 * the oldest is written (dropped) as new ones arrive. Returns, for each mark-compact after the first, the old
 * generation it collected over the live size the previous one left ([before, after] in V8's trace): how much
 * dead backlog V8 let accumulate. Single-threaded with a pinned young generation, as above.
 */
async function oldGenerationGrowth(keepYoung: boolean): Promise<number[]> {
  const script = `
    import { keepLiveObjectsYoung } from './pipelines/live-heap.ts';
    if (${keepYoung}) keepLiveObjectsYoung();
    const make = (i) => ({ id: i, price: i * 0.5, qty: i * 0.25, side: i % 2 === 0 });
    const live = [];
    for (let i = 0; i < 300_000; i++) live.push(make(i));
    const backlog = [];
    for (let round = 0; round < 1500; round++) {
      const batch = [];
      for (let i = 0; i < 5_000; i++) batch.push(make(i));
      backlog.push(batch);
      if (backlog.length > 40) backlog.shift();
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (live.length !== 300_000) throw new Error('live set lost');`;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--single-threaded', '--max-semi-space-size=16', '--trace-gc', '--import', 'tsx', '--input-type=module', '-e', script],
    { timeout: 60_000, maxBuffer: 64 * 1024 * 1024, cwd: fileURLToPath(new URL('../..', import.meta.url)) },
  );
  // Collections the memory reducer runs once the process idles ("(reduce)") are not the backlog's.
  const collections = [...stdout.matchAll(/Mark-Compact ([\d.]+) \([\d.]+\) -> ([\d.]+)/g)].map((m) => ({ before: Number(m[1]), after: Number(m[2]) }));
  return collections.slice(2).map((c, i) => c.before / collections[i + 1].after);
}

test('keepLiveObjectsYoung: a promoted backlog lets the old generation grow by about half its live size, not several times', async () => {
  const without = await oldGenerationGrowth(false);
  assert.ok(without.length >= 1 && Math.max(...without) >= 3, `without the flag V8 lets it grow several times (else this test proves nothing): ${without.join(', ')}`);
  const growth = await oldGenerationGrowth(true);
  assert.ok(growth.length >= 3, `mark-compacts as the backlog turns over: ${growth.length}`);
  assert.ok(Math.max(...growth) <= 2, `old generation before a mark-compact over the live size after the previous one: ${growth.join(', ')}`);
});
