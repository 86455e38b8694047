/**
 * The log lines of kafkajs and @clickhouse/client go through the run log: every line a command writes to stderr
 * is one pino JSON line with its run id and command, the client's lines carry `logger` (kafkajs, clickhouse) and
 * a mapped level, and no secret appears. Before, kafkajs printed its own JSON lines (`"logger":"kafkajs"`, no
 * run id) and the ClickHouse client dumped multi-line error objects on the console. No services: both
 * clients are pointed at a closed port.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { main } from '../../pipelines/cli.js';
import { generateArchiveMirror } from '../support/archive-mirror.js';
import { removeTempDirs, tempDir } from './backfill-support.js';
import { waitFor } from './ops-support.js';

const SASL_PASSWORD = 'client-log-sasl-secret';
const CLICKHOUSE_PASSWORD = 'client-log-clickhouse-secret';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs `lakehouse ARGV` in this process until it exits, or until `done(stderr)` holds and then stops it; its stderr lines. */
async function run(argv: string[], done: (stderr: string) => boolean): Promise<string[]> {
  let text = '';
  const stderr = new PassThrough();
  stderr.on('data', (chunk) => { text += String(chunk); });
  const stop = new AbortController();
  const running = main(argv, { env: {}, stdout: new PassThrough(), stderr, signal: stop.signal });
  let exited = false;
  void running.finally(() => { exited = true; });
  await waitFor(() => (exited || done(text) ? true : undefined));
  stop.abort();
  await running;
  return text.split('\n').filter((line) => line.trim() !== '');
}

/** Every line parsed, checked to be a run-log line of `command`. */
function runLogLines(lines: readonly string[], command: string): Record<string, unknown>[] {
  return lines.map((line) => {
    const entry = JSON.parse(line) as Record<string, unknown>;
    assert.equal(entry.command, command, line);
    assert.equal(typeof entry.runId, 'string', line);
    assert.ok(['trace', 'debug', 'info', 'warn', 'error', 'fatal'].includes(entry.level as string), line);
    return entry;
  });
}

test('kafkajs logs through the run log: pino lines with run id, command, logger and level; no secret', { timeout: 120_000 }, async () => {
  const port = await closedPort();
  const lake = await tempDir('client-logs-lake');
  const lines = await run(['serve', '--kafka-brokers', `127.0.0.1:${port}`, '--schema-registry-url', `http://127.0.0.1:${port}`, '--sink', 'parquet', '--lake', lake,
    '--kafka-sasl-mechanism', 'plain', '--kafka-username', 'user', '--kafka-password', SASL_PASSWORD, '--log-format', 'json'],
  (text) => text.includes('serve session failed')); // after kafkajs retried the broker and gave up
  const entries = runLogLines(lines, 'serve');
  const kafkajs = entries.filter((e) => e.logger === 'kafkajs');
  assert.ok(kafkajs.length > 0, lines.join('\n'));
  assert.ok(kafkajs.every((e) => e.level === 'error' && typeof e.msg === 'string' && e.timestamp === undefined && e.stack === undefined), JSON.stringify(kafkajs));
  assert.ok(!lines.join('\n').includes(SASL_PASSWORD));
});

test('@clickhouse/client logs through the run log: pino lines with run id, command, logger and level; no secret', { timeout: 120_000 }, async (t) => {
  t.after(removeTempDirs);
  const port = await closedPort();
  const archive = await tempDir('client-logs-archive');
  await generateArchiveMirror(archive, { markets: ['spot'], symbols: ['BTCUSDT'], types: ['trades'], fromDay: '2025-07-01', toDay: '2025-07-01', eventsPerDay: 100 });
  const lines = await run(['backfill', '--market', 'spot', '--symbols', 'BTCUSDT', '--types', 'trades', '--from', '2025-07-01', '--archive', archive,
    '--sink', 'clickhouse', '--clickhouse-url', `http://127.0.0.1:${port}`, '--clickhouse-password', CLICKHOUSE_PASSWORD,
    '--manifest', `${archive}/manifest.jsonl`, '--log-format', 'json'], () => false);
  const entries = runLogLines(lines.filter((line) => line.startsWith('{')), 'backfill');
  const clickhouse = entries.filter((e) => e.logger === 'clickhouse');
  assert.ok(clickhouse.length > 0, lines.join('\n'));
  assert.ok(clickhouse.every((e) => e.level === 'error' && typeof e.reason === 'string' && typeof e.module === 'string'), JSON.stringify(clickhouse));
  assert.ok(!lines.join('\n').includes(CLICKHOUSE_PASSWORD));
});
