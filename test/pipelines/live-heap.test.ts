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
