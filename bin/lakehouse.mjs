#!/usr/bin/env node
// The `lakehouse` executable: runs the TypeScript sources through tsx's loader (no build step needed).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../pipelines/cli.ts');
const controller = new AbortController();
let interrupted = 0;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    interrupted++;
    if (interrupted > 1) process.exit(130);
    controller.abort(new Error(`received ${signal}`));
  });
}
const status = await main(process.argv.slice(2), {
  env: process.env, stdout: process.stdout, stderr: process.stderr, signal: controller.signal,
});
process.exitCode = status;
