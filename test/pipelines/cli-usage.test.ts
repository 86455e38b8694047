/** Usage errors of the CLI: what a mistyped command line gets back (exit 2, one clear line, no stack). */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import { COMMANDS, main } from '../../pipelines/cli.js';

async function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  out.on('data', (c: Buffer) => chunks.out.push(c));
  err.on('data', (c: Buffer) => chunks.err.push(c));
  const status = await main(argv, { env, stdout: out, stderr: err, signal: new AbortController().signal });
  return { status, out: Buffer.concat(chunks.out).toString(), err: Buffer.concat(chunks.err).toString() };
}

describe('lakehouse usage errors', () => {
  const lake = mkdtempSync(join(tmpdir(), 'cli-usage-'));
  after(() => rmSync(lake, { recursive: true, force: true }));

  it('gaps --symbol with a list is a usage error and writes no partition named after the list', async () => {
    const { status, err } = await run(['gaps', '--symbol', 'BTCUSDT,ETHUSDT', '--type', 'klines:1m', '--from', '2025-07-01', '--lake', lake]);
    assert.equal(status, 2, err);
    assert.match(err, /^lakehouse gaps: --symbol takes one symbol/);
    assert.deepEqual(existsSync(lake) ? readdirSync(lake, { recursive: true }).filter((p) => String(p).includes(',')) : [], []);
  });

  it('gaps and resample with an s3:// lake are usage errors, not TypeErrors', async () => {
    for (const command of ['gaps', 'resample']) {
      const extra = command === 'resample' ? ['--intervals', '1h'] : [];
      const { status, err } = await run([command, '--symbol', 'BTCUSDT', '--type', 'klines:1m', '--from', '2025-07-01', '--lake', 's3://bucket/lake', ...extra]);
      assert.equal(status, 2, err);
      assert.doesNotMatch(err, /TypeError/);
      assert.match(err, new RegExp(`^lakehouse ${command}: --lake s3://`));
    }
  });

  it('names the command once in an error', async () => {
    const { status, err } = await run(['query']);
    assert.equal(status, 2);
    assert.match(err, /^lakehouse query: /);
    assert.doesNotMatch(err, /lakehouse query: lakehouse query/);
    const gaps = await run(['gaps', '--lake', lake]);
    assert.doesNotMatch(gaps.err, /lakehouse gaps: lakehouse gaps/);
  });

  it('--help shows no empty default', async () => {
    for (const entry of COMMANDS) {
      const { out } = await run([entry.name, '--help']);
      assert.doesNotMatch(out, /default [;)]/, entry.name);
    }
  });
});
