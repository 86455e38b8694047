import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import { startReplayServer } from '../../connectors/binance-replay/replay-server.js';
import { queryLake } from '../../connectors/parquet/query-lake.js';
import { EXIT_GAVE_UP, EXIT_NEVER_CONNECTED, streamCommand, watchForGiveUp } from '../../pipelines/stream.js';
import { newLiveStats } from '../../connectors/binance-live/live-stats.js';
import { cmAggTradeEvents, cmFeed, cmTradeEvents } from '../connectors/binance-live/live-harness.js';

const dirs: string[] = [];
after(() => { for (const dir of dirs) rmSync(dir, { recursive: true, force: true }); });

function output(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk) => { text += String(chunk); });
  return { stream, text: () => text };
}

describe('lakehouse stream (embedded: no Kafka → Parquet lake)', () => {
  it('streams from a replay server with a forced disconnect into the lake: every aggTrade id once, the gap recorded, a report on abort', async () => {
    const events = cmAggTradeEvents(3000);
    const server = await startReplayServer({ feed: cmFeed(events), speed: 6000 });
    const lake = mkdtempSync(join(tmpdir(), 'lake-stream-'));
    dirs.push(lake);
    const controller = new AbortController();
    const stdout = output();
    const stderr = output();
    const dropper = setInterval(() => { if (server.stats.framesSent >= 1000 && server.faults.injected.drops === 0) server.faults.drop(); }, 5);
    void server.finished.then(async () => {
      while (server.stats.restCalls === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      setTimeout(() => controller.abort(new Error('SIGINT')), 1000);
    });
    const status = await streamCommand.run(
      ['--market', 'cm', '--symbols', 'btcusd_perp', '--types', 'aggTrades', '--ws-url', server.wsUrl, '--rest-url', server.restUrl, '--lake', lake, '--batch-ms', '100', '--progress-interval', '1s'],
      { env: {}, stdout: stdout.stream, stderr: stderr.stream, signal: controller.signal },
    );
    clearInterval(dropper);
    await server.close();
    assert.equal(status, 0);
    assert.equal(server.faults.injected.drops, 1);
    assert.match(stdout.text(), /stopped by signal/);
    assert.match(stdout.text(), /records: aggTrade 3000, gap 2/);
    assert.match(stdout.text(), /reconnects 1/);
    assert.match(stderr.text(), /"progress"/);
    const rows = await queryLake({ root: lake, sql: 'SELECT count(*) AS n, count(DISTINCT aggTradeId) AS ids, min(aggTradeId) AS lo, max(aggTradeId) AS hi FROM aggTrades' });
    const first = (events[0].data as { a: number }).a;
    assert.deepEqual(rows, [{ n: '3000', ids: '3000', lo: String(first), hi: String(first + 2999) }]);
    const gaps = await queryLake({ root: lake, sql: 'SELECT state, cause FROM gaps ORDER BY version' });
    assert.deepEqual(gaps, [{ state: 'open', cause: 'ws_disconnect' }, { state: 'filled', cause: 'ws_disconnect' }]);
  });

  it('lands every trade after an id hole REST refuses to fill (401): one unfillable gap, no trade held back at exit', async () => {
    const events = cmTradeEvents(300);
    const ids = events.map((e) => (e.data as { t: number }).t);
    const server = await startReplayServer({ feed: cmFeed(events), speed: 2000 });
    server.faults.restFail(401, 1_000_000, '/historicalTrades');
    const lake = mkdtempSync(join(tmpdir(), 'lake-stream-hole-'));
    dirs.push(lake);
    const controller = new AbortController();
    const stdout = output();
    const holer = setInterval(() => { if (server.stats.framesSent >= 150 && server.faults.injected.holeEvents === 0 && server.faults.holeCount === 0) server.faults.hole(5); }, 2);
    void server.finished.then(() => setTimeout(() => controller.abort(new Error('SIGINT')), 1000));
    const status = await streamCommand.run(
      ['--market', 'cm', '--symbols', 'BTCUSD_PERP', '--types', 'trades', '--ws-url', server.wsUrl, '--rest-url', server.restUrl, '--lake', lake, '--batch-ms', '100'],
      { env: { BINANCE_API_KEY: 'a-key-the-server-refuses' }, stdout: stdout.stream, stderr: new PassThrough(), signal: controller.signal },
    );
    clearInterval(holer);
    await server.close();
    assert.equal(status, 0);
    assert.equal(server.faults.injected.holeEvents, 5);
    assert.equal(server.faults.injected.restFailed, 1, 'one refused call, not one per re-detection');
    assert.doesNotMatch(stdout.text(), /a-key-the-server-refuses/);
    const gaps = await queryLake({ root: lake, sql: 'SELECT state, cause, fromId, toId FROM gaps ORDER BY version' });
    assert.equal(gaps.length, 2, JSON.stringify(gaps));
    assert.deepEqual(gaps.map((g) => [g.state, g.cause]), [['open', 'sequence_break'], ['unfillable', 'sequence_break']]);
    const [from, to] = [Number(gaps[1].fromId), Number(gaps[1].toId)];
    assert.equal(to - from + 1, 5);
    const rows = await queryLake({ root: lake, sql: 'SELECT count(*) AS n, count(DISTINCT tradeId) AS ids, max(tradeId) AS hi FROM trades' });
    assert.deepEqual(rows, [{ n: String(ids.length - 5), ids: String(ids.length - 5), hi: String(ids.at(-1)) }]);
  });

  it('exits 5 when it never connected (every attempt refused) and 6 when it lost the exchange, instead of retrying forever', async () => {
    const refused = await new Promise<number>((resolve) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const { port } = s.address() as AddressInfo; s.close(() => resolve(port)); }); });
    const lake = mkdtempSync(join(tmpdir(), 'lake-stream-refused-'));
    dirs.push(lake);
    const stderr = output();
    const status = await streamCommand.run(
      ['--market', 'spot', '--symbols', 'BTCUSDT', '--types', 'trades', '--ws-url', `ws://127.0.0.1:${refused}`, '--rest-url', `http://127.0.0.1:${refused}`, '--lake', lake, '--give-up-after', '1'],
      { env: {}, stdout: new PassThrough(), stderr: stderr.stream, signal: new AbortController().signal },
    );
    assert.equal(status, EXIT_NEVER_CONNECTED);
    assert.match(stderr.text(), /never connected to the exchange/);

    const stats = newLiveStats();
    const outcome = new Promise<number>((resolve) => { watchForGiveUp(stats, 200, resolve); });
    stats.frames = 10; // connected and received, then every reconnect fails
    const failing = setInterval(() => { stats.reconnects++; }, 20);
    const lost = await outcome;
    clearInterval(failing);
    assert.equal(lost, EXIT_GAVE_UP);
  });

  it('rejects a run without symbols with a ConfigError', async () => {
    await assert.rejects(streamCommand.run(['--market', 'spot'], { env: {}, stdout: new PassThrough(), stderr: new PassThrough(), signal: new AbortController().signal }), { name: 'ConfigError', message: /--symbols is required/ });
  });
});
