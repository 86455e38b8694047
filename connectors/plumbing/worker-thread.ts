/**
 * Starting a `worker_threads` worker on one of this project's modules. The sources run as TypeScript through
 * tsx (bin/lakehouse.mjs registers it), and Node 20 does not apply the parent's loader to a worker's `.ts`
 * entry: the worker's entry is a small evaluated script that registers tsx's CommonJS hook and `require`s
 * the module (cheaper than registering tsx's ESM loader there, which starts one more loader thread per
 * worker). Compiled `.js` modules are imported directly.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker running `moduleUrl` (e.g. `new URL('./x-worker.ts', import.meta.url)`), which reads `workerData`
 * and talks over `parentPort`. The module must not use top-level await (it is `require`d under tsx). The
 * worker does not keep the process alive by itself (`unref`): its owner ends it (a message, then
 * `terminate`).
 */
export function startModuleWorker(moduleUrl: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  let entry: string;
  if (moduleUrl.pathname.endsWith('.ts')) {
    const tsx = createRequire(import.meta.url).resolve('tsx/cjs/api');
    // `import()` first: the eval'd entry is an ES module when the parent runs with --input-type=module (no `require`).
    entry = `import('node:module').then(({ createRequire }) => { const require = createRequire(${JSON.stringify(moduleUrl.href)});`
      + ` require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(fileURLToPath(moduleUrl))}); });`;
  } else {
    entry = `import(${JSON.stringify(moduleUrl.href)})`;
  }
  const worker = new Worker(entry, { ...options, eval: true });
  worker.unref();
  return worker;
}
