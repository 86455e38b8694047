/**
 * `lakehouse stream --metrics-port`: while it streams from the replay server into the lake, /metrics shows the
 * counters growing (records per stream, sink rows, batch sizes and latencies, reconnects after a forced drop),
 * /healthz and /readyz answer, the log is JSON lines with time, level, run id and command (the lost connection
 * with its reason), and stopping closes the server.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import { startReplayServer } from '../../connectors/binance-replay/replay-server.js';
import { replayCommand } from '../../pipelines/replay.js';
import { streamCommand } from '../../pipelines/stream.js';
import WebSocket from 'ws';
import { realFixture } from '../support/fixtures.js';
import { cmAggTradeEvents, cmFeed } from '../connectors/binance-live/live-harness.js';
import { metricValue, scrape, waitFor } from './ops-support.js';

const dirs: string[] = [];
after(() => { for (const dir of dirs) rmSync(dir, { recursive: true, force: true }); });

function output(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk) => { text += String(chunk); });
  return { stream, text: () => text };
}

describe('lakehouse stream --metrics-port', () => {
  it('serves changing metrics, health and readiness while streaming, logs JSON lines, and closes the server when stopped', async () => {
    const server = await startReplayServer({ feed: cmFeed(cmAggTradeEvents(3000)), rate: 500 });
    const lake = mkdtempSync(join(tmpdir(), 'lake-metrics-'));
    dirs.push(lake);
    const controller = new AbortController();
    const stdout = output();
    const stderr = output();
    const running = streamCommand.run(
      ['--market', 'cm', '--symbols', 'BTCUSD_PERP', '--types', 'aggTrades', '--ws-url', server.wsUrl, '--rest-url', server.restUrl, '--lake', lake,
        '--batch-ms', '100', '--metrics-port', '0', '--progress-interval', '200ms', '--log-format', 'json'],
      { env: {}, stdout: stdout.stream, stderr: stderr.stream, signal: controller.signal },
    );
    try {
      const url = await waitFor(() => /"url":"(http:\/\/[^"]+)"/.exec(stderr.text())?.[1]);
      const records = 'lakehouse_records_received_total{kind="aggTrade",symbol="BTCUSD_PERP"}';
      const first = await waitFor(async () => { const n = metricValue(await scrape(url), records); return n !== undefined && n > 0 ? n : undefined; });
      await waitFor(async () => ((metricValue(await scrape(url), records) ?? 0) > first ? true : undefined));
      const text = await waitFor(async () => { const t = await scrape(url); return (metricValue(t, 'lakehouse_sink_rows_total{sink="parquet",kind="aggTrade"}') ?? 0) > 0 ? t : undefined; });
      assert.ok((metricValue(text, 'lakehouse_sink_batch_rows_count{sink="parquet"}') ?? 0) > 0, 'batch sizes observed');
      assert.ok((metricValue(text, 'lakehouse_sink_write_seconds_count{sink="parquet"}') ?? 0) > 0, 'write latencies observed');
      assert.ok((metricValue(text, 'lakehouse_live_frames_total') ?? 0) > 0);
      assert.equal(metricValue(text, 'lakehouse_live_open_sockets'), 1);
      assert.notEqual(metricValue(text, 'lakehouse_backlog_records'), undefined);
      assert.notEqual(metricValue(text, 'lakehouse_watermark_delay_seconds{sink="parquet",kind="aggTrade"}'), undefined);
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      const ready = await fetch(`${url}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), { ready: true, checks: { stream: 'ok', lake: 'ok' } });

      server.faults.drop();
      await waitFor(async () => ((metricValue(await scrape(url), 'lakehouse_live_reconnects_total') ?? 0) >= 1 ? true : undefined));
      controller.abort(new Error('SIGTERM'));
      assert.equal(await running, 0);
      await assert.rejects(fetch(`${url}/metrics`), 'the metrics server is closed with the command');
    } finally {
      controller.abort();
      await running.catch(() => undefined);
      await server.close();
    }
    const lines = stderr.text().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const runId = lines[0].runId;
    assert.match(String(runId), /^[0-9a-f-]{36}$/);
    for (const line of lines) {
      assert.equal(line.command, 'stream');
      assert.equal(line.runId, runId);
      assert.ok(typeof line.time === 'string' && typeof line.level === 'string' && typeof line.msg === 'string', JSON.stringify(line));
    }
    const lost = lines.find((line) => line.msg === 'WebSocket lost; reconnecting');
    assert.equal(lost?.level, 'warn');
    assert.match(String(lost?.reason), /closed by server|socket error/);
    assert.ok(lines.some((line) => line.msg === 'progress' && typeof line.records === 'number'));
    assert.match(stdout.text(), /stopped by signal/);
  });

  it('replay --serve: the replay server\'s counters grow while a client reads, and the server closes on stop', async () => {
    const controller = new AbortController();
    const stdout = output();
    const stderr = output();
    const running = replayCommand.run(['--serve', '--market', 'cm', '--files', realFixture('BTCUSD_PERP-aggTrades-2026-05-08.zip'), '--rate', '200',
      '--metrics-port', '0', '--log-format', 'json'], { env: {}, stdout: stdout.stream, stderr: stderr.stream, signal: controller.signal });
    let client: WebSocket | undefined;
    try {
      const url = await waitFor(() => /"url":"(http:\/\/[^"]+)"/.exec(stderr.text())?.[1]);
      const wsUrl = await waitFor(() => /WebSocket (ws:\/\/\S+)/.exec(stdout.text())?.[1]);
      client = new WebSocket(`${wsUrl}/stream?streams=btcusd_perp@aggTrade`);
      client.on('error', () => undefined);
      const first = await waitFor(async () => { const n = metricValue(await scrape(url), 'lakehouse_replay_frames_sent_total'); return n !== undefined && n > 0 ? n : undefined; });
      await waitFor(async () => ((metricValue(await scrape(url), 'lakehouse_replay_frames_sent_total') ?? 0) > first ? true : undefined));
      assert.equal(metricValue(await scrape(url), 'lakehouse_replay_connections_total'), 1);
      assert.equal((await fetch(`${url}/readyz`)).status, 200);
      controller.abort();
      assert.equal(await running, 0);
      await assert.rejects(fetch(`${url}/metrics`));
    } finally {
      client?.terminate();
      controller.abort();
      await running.catch(() => undefined);
    }
  });
});
