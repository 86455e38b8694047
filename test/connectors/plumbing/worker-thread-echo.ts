/** Test worker for worker-thread.test.ts: multiplies each number it receives by `workerData.factor` (typed TypeScript on purpose). */
import { parentPort, workerData } from 'node:worker_threads';

const factor: number = (workerData as { factor: number }).factor;
parentPort?.on('message', (value: number) => parentPort?.postMessage(value * factor));
