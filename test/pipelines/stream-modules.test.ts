import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * `lakehouse stream` with its default raw client must not load ccxt (every exchange's code: ~40 MB of a
 * stream client's heap). A fresh process whose module resolution refuses `ccxt` imports the command: it fails
 * when anything the command loads up front imports ccxt.
 */
test('stream: the command module loads without ccxt (imported only for --via ccxt)', async () => {
  const hooks = `export async function resolve(specifier, context, next) {
    if (specifier === 'ccxt' || specifier.startsWith('ccxt/')) throw new Error('ccxt was imported');
    return next(specifier, context);
  }`;
  const script = `
    import { register } from 'node:module';
    register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}));
    const { streamCommand } = await import('./pipelines/stream.ts');
    console.log(streamCommand.name);`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    timeout: 60_000, cwd: fileURLToPath(new URL('../..', import.meta.url)),
  });
  assert.equal(stdout.trim(), 'stream');
});
