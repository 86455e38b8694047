#!/usr/bin/env node
// The `lakehouse` executable. Runs the build in dist/ (`npm run build`, done by `npm install`) when it is up
// to date with every source file — startup 0.16 s instead of 0.4 s through tsx — else the TypeScript
// sources through tsx's loader (no build step needed while editing). An installed package ships dist/ and
// no sources, so it always runs dist/.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_DIRS = ['schemas', 'operators', 'connectors', 'pipelines'];

/** True when every source file has a compiled file in dist/ at least as new, or there are no sources. */
function buildIsFresh() {
  if (!existsSync(join(root, 'pipelines', 'cli.ts'))) return true; // an installed package: dist/ only
  if (process.env.LAKEHOUSE_FROM_SOURCES === '1') return false;
  try {
    for (const dir of SOURCE_DIRS) {
      for (const name of readdirSync(join(root, dir), { recursive: true })) {
        if (!name.endsWith('.ts')) continue;
        const source = statSync(join(root, dir, name)).mtimeMs;
        if (statSync(join(root, 'dist', dir, name.replace(/\.ts$/, '.js'))).mtimeMs < source) return false;
      }
    }
    return true;
  } catch {
    return false; // no build, or a source without its compiled file
  }
}

let runAsProcess;
if (buildIsFresh()) {
  ({ runAsProcess } = await import(pathToFileURL(join(root, 'dist', 'pipelines', 'cli.js')).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ runAsProcess } = await import('../pipelines/cli.ts'));
}
// Signals, the stop grace and the exit status: pipelines/cli.ts runAsProcess.
await runAsProcess(process.argv.slice(2));
