import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO_ROOT } from '../support/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'lakehouse-signals-'));
const sockets = new Set<Socket>();
const servers: Server[] = [];
after(() => {
  for (const socket of sockets) socket.destroy();
  for (const server of servers) server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A TCP server that accepts connections and never answers; resolves its port and the next connection. */
async function silentServer(): Promise<{ port: number; connected: Promise<void> }> {
  let onConnection!: () => void;
  const connected = new Promise<void>((resolve) => { onConnection = resolve; });
  const server = createServer((socket) => { sockets.add(socket); socket.on('error', () => undefined); onConnection(); });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, connected };
}

/**
 * Runs the `lakehouse` executable, sends `signals` once it connected to the silent server (it then waits on a
 * service that never answers), and resolves how it ended; a process still running after 20 s is killed and
 * reported as `running`.
 */
async function interrupt(args: readonly string[], connected: Promise<void>, signals: readonly NodeJS.Signals[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | 'running'; stderr: string }> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'lakehouse.mjs'), ...args], {
    cwd: dir, env: { LAKEHOUSE_FROM_SOURCES: '1', LAKEHOUSE_STOP_GRACE_S: '3', ...env }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += String(chunk); });
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal === null ? -1 : 128))));
  await connected;
  for (const signal of signals) {
    child.kill(signal);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  const timer = new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 20_000));
  const status = await Promise.race([exited, timer]);
  if (status === 'running') child.kill('SIGKILL');
  return { status, stderr };
}

describe('every command stops on SIGTERM/SIGINT, also while a service never answers', () => {
  // Nothing is lost by stopping serve while its broker is unreachable (it committed nothing it did not write), so
  // the stop is a clean one: status 0, the report printed, without waiting for the grace (600 s here).
  it('serve whose Kafka broker accepts connections and never answers: exits 0 at once', async () => {
    const broker = await silentServer();
    const { status, stderr } = await interrupt(
      ['serve', '--kafka-brokers', `127.0.0.1:${broker.port}`, '--schema-registry-url', 'http://127.0.0.1:1', '--lake', join(dir, 'lake')],
      broker.connected, ['SIGTERM'], { LAKEHOUSE_STOP_GRACE_S: '600' },
    );
    assert.equal(status, 0, stderr);
  });

  it('serve whose Kafka broker drops every connection: exits 0 at once', async () => {
    let onConnection!: () => void;
    const connected = new Promise<void>((resolve) => { onConnection = resolve; });
    const broker = createServer((socket) => { socket.destroy(); onConnection(); });
    servers.push(broker);
    await new Promise<void>((resolve) => broker.listen(0, '127.0.0.1', resolve));
    const { status, stderr } = await interrupt(
      ['serve', '--kafka-brokers', `127.0.0.1:${(broker.address() as AddressInfo).port}`, '--schema-registry-url', 'http://127.0.0.1:1', '--lake', join(dir, 'lake')],
      connected, ['SIGTERM'], { LAKEHOUSE_STOP_GRACE_S: '600' },
    );
    assert.equal(status, 0, stderr);
  });

  it('query against a ClickHouse server that never answers: exits 130 after the grace on SIGINT', async () => {
    const clickhouse = await silentServer();
    const { status, stderr } = await interrupt(['query', '--clickhouse-url', `http://127.0.0.1:${clickhouse.port}`, 'SELECT 1'], clickhouse.connected, ['SIGINT']);
    assert.equal(status, 130, stderr);
  });

  it('backfill from an archive that never answers: stops', async () => {
    const archive = await silentServer();
    const { status, stderr } = await interrupt(
      ['backfill', '--archive', `http://127.0.0.1:${archive.port}`, '--symbols', 'BTCUSDT', '--types', 'klines:1m', '--from', '2025-07-01', '--lake', join(dir, 'lake')],
      archive.connected, ['SIGTERM'],
    );
    assert.notEqual(status, 'running', stderr);
    assert.ok(status === 130 || status === 143, `${status}: ${stderr}`);
  });

  it('stream from a WebSocket server that accepts the connection and never answers: stops', async () => {
    const exchange = await silentServer();
    const { status, stderr } = await interrupt(
      ['stream', '--symbols', 'BTCUSDT', '--ws-url', `ws://127.0.0.1:${exchange.port}`, '--rest-url', `http://127.0.0.1:${exchange.port}`, '--sink', 'parquet', '--lake', join(dir, 'lake')],
      exchange.connected, ['SIGINT'],
    );
    assert.notEqual(status, 'running', stderr);
  });

  it('mirror from an archive that never answers: stops', async () => {
    const archive = await silentServer();
    const { status, stderr } = await interrupt(
      ['mirror', '--archive', `http://127.0.0.1:${archive.port}`, '--symbols', 'BTCUSDT', '--types', 'klines:1m', '--from', '2025-07-01', '--target', 's3://bucket/raw', '--s3-endpoint', 'http://127.0.0.1:1', '--no-list'],
      archive.connected, ['SIGTERM'],
    );
    assert.notEqual(status, 'running', stderr);
  });

  it('a second signal ends the process at once, whatever the grace', async () => {
    const clickhouse = await silentServer();
    const { status, stderr } = await interrupt(
      ['query', '--clickhouse-url', `http://127.0.0.1:${clickhouse.port}`, 'SELECT 1'],
      clickhouse.connected, ['SIGTERM', 'SIGTERM'], { LAKEHOUSE_STOP_GRACE_S: '600' },
    );
    assert.equal(status, 143, stderr);
    assert.match(stderr, /SIGTERM again; exiting now/);
  });
});
