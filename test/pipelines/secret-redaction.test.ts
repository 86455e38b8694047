/**
 * No secret in any output: failing runs given a SASL password, a registry password and an S3 secret key (as
 * flags, and as environment variables) print neither in stdout nor stderr, at the most verbose log level, while
 * their connection failures and retries are logged with their reasons.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import { redactingStream, secretValuesOf } from '../../pipelines/redact-secrets.js';
import { streamCommand } from '../../pipelines/stream.js';
import { REPO_ROOT } from '../support/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'lakehouse-secrets-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SASL = 'sasl-Pa55word/with spaces&more';
const S3 = 's3-SecretKey+/abc123';
const REGISTRY = 'registry-pa55-word';

/** A port nothing listens on (bound, then released). */
async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Runs `lakehouse` to its end (SIGTERM once `stopWhen(stderr)` holds); resolves its status and all it printed. */
function lakehouse(args: readonly string[], env: NodeJS.ProcessEnv, stopWhen?: (stderr: string) => boolean): Promise<{ status: number | null; output: string; stderr: string }> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'lakehouse.mjs'), ...args], {
    cwd: dir, env: { LAKEHOUSE_FROM_SOURCES: '1', LAKEHOUSE_STOP_GRACE_S: '10', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { output += String(chunk); });
  child.stderr.on('data', (chunk: Buffer) => {
    output += String(chunk);
    stderr += String(chunk);
    if (stopWhen?.(stderr) === true && child.exitCode === null) child.kill('SIGTERM');
  });
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, output, stderr })));
}

describe('secrets never reach the output', () => {
  it('masks every secret of a run, given as a flag, an environment variable or URL-encoded, in whatever is written', () => {
    const argv = ['--symbols', 'BTCUSDT', '--kafka-password', SASL, `--aws-secret-access-key=${S3}`];
    const secrets = secretValuesOf('stream', streamCommand.options, argv, { SCHEMA_REGISTRY_PASSWORD: REGISTRY });
    const sink = new PassThrough();
    let text = '';
    sink.on('data', (chunk) => { text += String(chunk); });
    const out = redactingStream(sink, secrets);
    out.write(`auth failed for ${SASL}; url s3://k:${encodeURIComponent(S3)}@host; ${REGISTRY}\n`);
    out.write(Buffer.from(`again ${S3}\n`));
    assert.equal(text, 'auth failed for ***; url s3://k:***@host; ***\nagain ***\n');
    // Options that do not resolve (an unknown flag) still have their secrets masked.
    assert.deepEqual(secretValuesOf('stream', streamCommand.options, ['--no-such-flag', '--kafka-password', SASL], {}), [SASL, encodeURIComponent(SASL)].sort((a, b) => b.length - a.length));
  });

  it('stream and serve failing against services that refuse them (a lost socket, a sink retried, Kafka refused) print neither the SASL password nor the S3 secret (flags and environment)', { timeout: 240_000 }, async () => {
    const port = await refusedPort();
    const kafka = ['--kafka-brokers', `127.0.0.1:${port}`, '--schema-registry-url', `http://127.0.0.1:${port}`, '--kafka-username', 'alice'];
    const stream = ['stream', '--symbols', 'BTCUSDT', '--ws-url', `ws://127.0.0.1:${port}`, '--rest-url', `http://127.0.0.1:${port}`, '--sink', 'parquet', '--lake', 's3://no-bucket/lake',
      '--s3-endpoint', `http://127.0.0.1:${port}`, '--aws-access-key-id', 'AKIDEXAMPLE', '--log-level', 'trace', ...kafka];
    const serve = ['serve', '--group-id', 'secret-test', '--lake', join(dir, 'lake'), '--log-level', 'trace', ...kafka];
    const runs = await Promise.all([
      lakehouse([...stream, '--kafka-password', SASL, '--aws-secret-access-key', S3, '--schema-registry-user', 'reg', '--schema-registry-password', REGISTRY], {}),
      lakehouse(stream, { LAKEHOUSE_KAFKA_PASSWORD: SASL, AWS_SECRET_ACCESS_KEY: S3, SCHEMA_REGISTRY_USER: 'reg', SCHEMA_REGISTRY_PASSWORD: REGISTRY }),
      // serve waits for a broker that refuses it (a restarting broker comes back): stopped once a session failed.
      lakehouse([...serve, '--kafka-password', SASL], { AWS_SECRET_ACCESS_KEY: S3 }, (text) => text.includes('"msg":"serve session failed')),
    ]);
    const [flags, env, served] = runs;
    assert.equal(flags.status, 1, flags.output);
    assert.equal(env.status, 1, env.output);
    assert.equal(served.status, 0, served.output);
    assert.match(flags.stderr, /"msg":"WebSocket lost; reconnecting"/);
    assert.match(flags.stderr, /"sink":"parquet".*"reason":"[^"]*ECONNREFUSED[^"]*".*"msg":"sink write failed; retrying"/);
    assert.match(served.stderr, /"reason":"[^"]*ECONNREFUSED[^"]*","msg":"serve session failed/);
    assert.match(served.stderr, /"logger":"kafkajs"/, 'kafkajs logs into the run log, at --log-level trace too');
    for (const { output } of runs) {
      for (const secret of [SASL, S3, REGISTRY, encodeURIComponent(SASL), encodeURIComponent(S3)]) assert.ok(!output.includes(secret), `a secret in the output:\n${output}`);
    }
  });
});
