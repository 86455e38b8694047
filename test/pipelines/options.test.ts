import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import { main } from '../../pipelines/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lakehouse-options-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const archive = join(dir, 'archive');
mkdirSync(archive);
const lake = join(dir, 'lake');
const notes = join(dir, 'notes.txt');
const NOTES = 'my notes\nnot a manifest\n';
writeFileSync(notes, NOTES);
const trades = join(dir, 'BTCUSDT-trades-2025-07-01.csv');
writeFileSync(trades, '1,107000.5,0.001,107.0005,1751328000000000,true,true\n');
symlinkSync(join(dir, 'loop-b'), join(dir, 'loop-a'));
symlinkSync(join(dir, 'loop-a'), join(dir, 'loop-b'));

async function run(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let text = '';
  err.on('data', (c: Buffer) => { text += String(c); });
  out.resume();
  const status = await main(argv, { env, stdout: out, stderr: err, signal: new AbortController().signal });
  return { status, err: text };
}

/** A complete invocation of each command, so that the bad option is the only thing wrong. */
const BASE: Record<string, readonly string[]> = {
  backfill: ['backfill', '--archive', archive, '--symbols', 'BTCUSDT', '--types', 'klines:1m', '--from', '2025-07-01', '--lake', lake, '--no-list'],
  mirror: ['mirror', '--archive', archive, '--symbols', 'BTCUSDT', '--types', 'klines:1m', '--from', '2025-07-01', '--target', 's3://bucket/raw', '--no-list'],
  stream: ['stream', '--symbols', 'BTCUSDT', '--lake', lake, '--ws-url', 'ws://127.0.0.1:1', '--rest-url', 'http://127.0.0.1:1'],
  replay: ['replay', '--files', trades, '--speed', 'max', '--lake', lake],
  serve: ['serve', '--kafka-brokers', '127.0.0.1:1', '--schema-registry-url', 'http://127.0.0.1:1', '--lake', lake],
  gaps: ['gaps', '--symbol', 'BTCUSDT', '--type', 'klines:1m', '--from', '2025-07-01', '--lake', lake, '--no-write'],
  resample: ['resample', '--symbol', 'BTCUSDT', '--type', 'klines:1m', '--intervals', '1h', '--from', '2025-07-01', '--lake', lake, '--no-write'],
  query: ['query', '--lake', lake, 'SELECT 1'],
};

/** [command, bad option and value, what the message must say]; the examples of the issue first. */
const CASES: readonly (readonly [string, readonly string[], RegExp])[] = [
  ['backfill', ['--batch-rows', '0'], /--batch-rows expects an integer of at least 1, got "0"/],
  ['backfill', ['--batch-rows=-5'], /--batch-rows expects an integer of at least 1, got "-5"/],
  ['backfill', ['--batch-rows', '0.5'], /--batch-rows expects an integer of at least 1, got "0.5"/],
  ['replay', ['--serve', '--port', '70000'], /--port expects an integer from 0 to 65535, got "70000"/],
  ['backfill', ['--manifest', notes], /--manifest expects a new file or an existing backfill manifest, got ".*notes.txt" \(an existing file that is not a backfill manifest/],
  ['backfill', ['--lake', ''], /--lake expects a directory \(created if absent\) or s3:\/\/bucket\/prefix, got "" \(an empty path\)/],
  ['backfill', ['--lake', '/proc/self'], /--lake expects .*, got "\/proc\/self" \(under \/proc, which is not storage\)/],
  ['backfill', ['--lake', join(dir, 'loop-a', 'lake')], /--lake expects .* \(a symbolic-link loop\)/],
  ['backfill', ['--lake', notes], /--lake expects .* \(exists and is not a directory\)/],
  ['backfill', ['--lake', 's3://B/x'], /--lake expects .* \(invalid S3 bucket name/],
  ['backfill', ['--concurrency', '0'], /--concurrency expects an integer from 1 to 64, got "0"/],
  ['backfill', ['--concurrency', '65'], /--concurrency expects an integer from 1 to 64/],
  ['backfill', ['--timeout-ms', '0'], /--timeout-ms expects an integer from 1 to 2147483647/],
  ['backfill', ['--timeout-ms', '3e9'], /--timeout-ms expects an integer from 1 to 2147483647/],
  ['backfill', ['--archive', join(dir, 'absent')], /--archive expects an http\(s\) URL, s3:\/\/bucket\/prefix or an existing directory, got .* \(no such directory\)/],
  ['backfill', ['--archive', '/dev'], /--archive expects .* \(under \/dev, which is not storage\)/],
  ['backfill', ['--kafka-brokers', 'localhost'], /--kafka-brokers expects host:port with a port from 1 to 65535/],
  ['backfill', ['--clickhouse-url', 'not a url'], /--clickhouse-url expects an absolute http\(s\) or ws\(s\) URL/],
  ['mirror', ['--concurrency', '100'], /--concurrency expects an integer from 1 to 64/],
  ['mirror', ['--timeout-ms=-1'], /--timeout-ms expects an integer from 1/],
  ['stream', ['--batch-rows', '0'], /--batch-rows expects an integer of at least 1/],
  ['stream', ['--batch-ms', '0'], /--batch-ms expects an integer from 1 to 2147483647/],
  ['stream', ['--max-backlog', '0.5'], /--max-backlog expects an integer of at least 1/],
  ['stream', ['--duration=-1'], /--duration expects a number from 0 to 2147483/],
  ['stream', ['--rest-weight-per-minute', '0'], /--rest-weight-per-minute expects an integer of at least 1/],
  ['stream', ['--lake', '/sys/kernel'], /--lake expects .* \(under \/sys, which is not storage\)/],
  ['stream', ['--ws-url', 'ftp://x'], /--ws-url expects an absolute http\(s\) or ws\(s\) URL, got "ftp:\/\/x" \(unsupported scheme\)/],
  ['replay', ['--port=-1'], /--port expects an integer from 0 to 65535/],
  ['replay', ['--port', '80.5'], /--port expects an integer from 0 to 65535/],
  ['replay', ['--rate', '0'], /--rate expects a number greater than 0, got "0"/],
  ['replay', ['--batch-rows', '0'], /--batch-rows expects an integer of at least 1/],
  ['replay', ['--capture', '/dev/zero'], /--capture expects an existing file, got "\/dev\/zero" \(under \/dev/],
  ['replay', ['--capture', archive], /--capture expects an existing file, got .* \(a directory\)/],
  ['replay', ['--files', `${notes},${join(dir, 'absent.zip')}`], /--files expects an existing file, got .* \(".*absent.zip": no such file\)/],
  ['serve', ['--lake', ''], /--lake expects .*, got "" \(an empty path\)/],
  ['serve', ['--kafka-brokers', '127.0.0.1:0'], /--kafka-brokers expects host:port with a port from 1 to 65535/],
  ['gaps', ['--lake', '/proc/self'], /--lake expects .* \(under \/proc/],
  ['gaps', ['--rest-url', 'nope'], /--rest-url expects an absolute/],
  ['resample', ['--lake', ''], /--lake expects .* \(an empty path\)/],
  ['query', ['--lake', '/proc/self'], /--lake expects .* \(under \/proc/],
  ['query', ['--lake', notes], /--lake expects .* \(exists and is not a directory\)/],
  ['query', ['--clickhouse-embedded', notes], /--clickhouse-embedded expects a directory .* \(exists and is not a directory\)/],
  ['query', ['--config', '/dev/zero'], /--config expects an existing file, got "\/dev\/zero" \(under \/dev/],
];

describe('option validation: every numeric and path option of every command, exit status 2', () => {
  for (const [command, bad, message] of CASES) {
    it(`lakehouse ${command} ${bad.join(' ')}`, async () => {
      const base = BASE[command];
      // The SQL of `query` is its positional argument: options go before it.
      const argv = command === 'query' ? [...base.slice(0, -1), ...bad, base[base.length - 1]] : [...base, ...bad];
      const { status, err } = await run(argv);
      assert.equal(status, 2, err);
      assert.match(err, new RegExp(`^lakehouse ${command}: `));
      assert.match(err, message);
    });
  }

  it('checks values from the environment and the config file the same way', async () => {
    const fromEnv = await run(BASE.backfill, { LAKEHOUSE_BATCH_ROWS: '0' });
    assert.equal(fromEnv.status, 2);
    assert.match(fromEnv.err, /environment LAKEHOUSE_BATCH_ROWS: --batch-rows expects an integer of at least 1, got "0"/);
    const config = join(dir, 'lakehouse.config.json');
    writeFileSync(config, JSON.stringify({ stream: { batchMs: 0.5 } }));
    const fromFile = await run([...BASE.stream, '--config', config]);
    assert.equal(fromFile.status, 2);
    assert.match(fromFile.err, /config file: --batch-ms expects an integer from 1 to 2147483647, got 0.5/);
  });

  it('leaves a file that is not a manifest as it was', async () => {
    await run([...BASE.backfill, '--manifest', notes]);
    assert.equal(readFileSync(notes, 'utf8'), NOTES);
  });

  it('takes a new manifest path, an empty file and an existing manifest', async () => {
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '');
    const existing = join(dir, 'existing.jsonl');
    writeFileSync(existing, JSON.stringify({ key: 'data/spot/x.zip', size: 1, sha256: 'ab', rows: 1, status: 'loaded', loadedAt: '2025-07-01T00:00:00Z', lastModifiedMs: null }) + '\n{"key":"partial');
    for (const manifest of [join(dir, 'new', 'm.jsonl'), empty, existing]) {
      const { status, err } = await run([...BASE.backfill, '--manifest', manifest, '--plan']);
      assert.equal(status, 0, err);
    }
  });
});
