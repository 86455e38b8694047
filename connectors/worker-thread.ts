/**
 * Starting a `worker_threads` worker on one of this project's modules. The sources run as TypeScript through
 * tsx's loader (bin/lakehouse.mjs registers it), and Node 20 does not apply the parent's loader to a worker's
 * `.ts` entry: the worker's entry is a small evaluated script that registers tsx first when the module is a
 * `.ts` file, then imports it. Compiled `.js` modules are imported directly.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker running `moduleUrl` (e.g. `new URL('./x-worker.ts', import.meta.url)`), which reads `workerData`
 * and talks over `parentPort`. The worker does not keep the process alive by itself (`unref`): its owner
 * ends it (a message, then `terminate`).
 */
export function startModuleWorker(moduleUrl: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const module = JSON.stringify(moduleUrl.href);
  const entry = moduleUrl.pathname.endsWith('.ts')
    ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${module}); })`
    : `import(${module})`;
  const worker = new Worker(entry, { ...options, eval: true });
  worker.unref();
  return worker;
}
