import assert from 'node:assert/strict';
import { once } from 'node:events';
import { it } from 'node:test';
import { startModuleWorker } from '../../../connectors/plumbing/worker-thread.js';

it('runs a TypeScript module in a worker thread (tsx registered there) and lets the process exit after terminate', async () => {
  const worker = startModuleWorker(new URL('./worker-thread-echo.ts', import.meta.url), { workerData: { factor: 3 } });
  worker.postMessage(14);
  const [reply] = await once(worker, 'message') as [number];
  assert.equal(reply, 42);
  await worker.terminate();
});
