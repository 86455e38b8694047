import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { COMMANDS, main } from '../../pipelines/cli.js';

async function run(argv: string[]): Promise<{ status: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  out.on('data', (c: Buffer) => chunks.out.push(c));
  err.on('data', (c: Buffer) => chunks.err.push(c));
  const status = await main(argv, { env: {}, stdout: out, stderr: err, signal: new AbortController().signal });
  return { status, out: Buffer.concat(chunks.out).toString(), err: Buffer.concat(chunks.err).toString() };
}

describe('lakehouse CLI', () => {
  it('lists every registered command in --help', async () => {
    const { status, out } = await run(['--help']);
    assert.equal(status, 0);
    for (const entry of COMMANDS) assert.match(out, new RegExp(`^  ${entry.name} +${entry.summary.slice(0, 20).replace(/[|()?*+.]/g, '\\$&')}`, 'm'));
  });

  it('registers each command under the name its module gives it, with help text for every option', async () => {
    for (const entry of COMMANDS) {
      const command = await entry.load();
      assert.equal(command.name, entry.name);
      const { status, out } = await run([entry.name, '--help']);
      assert.equal(status, 0, entry.name);
      assert.match(out, new RegExp(`^Usage: lakehouse ${entry.name}`));
      for (const option of command.options) assert.ok(out.includes(`--${option.name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`), `${entry.name} --help names ${option.name}`);
    }
  });

  it('prints the version of package.json for --version, with exit status 0, and --help mentions it', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.deepEqual(await run(['--version']), { status: 0, out: `${version}\n`, err: '' });
    assert.match((await run(['--help'])).out, /lakehouse --version/);
  });

  it('rejects an unknown command with usage and exit status 2', async () => {
    const { status, err } = await run(['nope']);
    assert.equal(status, 2);
    assert.match(err, /unknown command "nope"/);
  });

  it('turns a configuration error into exit status 2 with the message', async () => {
    const { status, err } = await run(['query', '--no-such-flag', 'SELECT 1']);
    assert.equal(status, 2);
    assert.match(err, /lakehouse query: .*no-such-flag/);
  });
});
