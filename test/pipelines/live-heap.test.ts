import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

/**
 * The pattern of a live pipeline's start: objects of one allocation site wait long enough to survive
 * scavenges (a backlog while the producer connects), then the same site makes short-lived objects at a
 * steady rate. Pretenured, the short-lived ones go to the old generation and take mark-compacts to collect;
 * kept young, scavenges collect them. Counted in a fresh process, since the flag is process-wide.
 */
async function majorCollectionsAfterBacklog(keepYoung: boolean): Promise<number> {
  const script = `
    import { PerformanceObserver, constants } from 'node:perf_hooks';
    import { keepLiveObjectsYoung } from './pipelines/live-heap.ts';
    if (${keepYoung}) keepLiveObjectsYoung();
    const make = (i) => ({ id: i, price: i * 0.5, list: [i, i + 1] });
    let backlog = [];
    for (let i = 0; i < 400_000; i++) backlog.push(make(i));
    backlog = null;
    let majors = 0;
    const observer = new PerformanceObserver((list) => { for (const e of list.getEntries()) if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++; });
    observer.observe({ entryTypes: ['gc'] });
    for (let round = 0; round < 200; round++) {
      const batch = [];
      for (let i = 0; i < 10_000; i++) batch.push(make(i));
      await new Promise((resolve) => setImmediate(resolve));
    }
    setTimeout(() => { observer.disconnect(); process.stdout.write(String(majors)); }, 50);`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 60_000, cwd: fileURLToPath(new URL('../..', import.meta.url)) });
  return Number(stdout);
}

test('keepLiveObjectsYoung: short-lived objects of a site that once survived are collected by scavenges, not mark-compacts', async () => {
  assert.ok(await majorCollectionsAfterBacklog(false) >= 1, 'the workload pretenures without the flag (else this test proves nothing)');
  assert.equal(await majorCollectionsAfterBacklog(true), 0);
});
