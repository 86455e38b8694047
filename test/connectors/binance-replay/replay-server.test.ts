import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import WebSocket from 'ws';
import { exchangeInfoFromCapture, feedFromCapture } from '../../../connectors/binance-replay/replay-feed.js';
import { startReplayServer, type ReplayServer } from '../../../connectors/binance-replay/replay-server.js';
import { realFixtureText } from '../../support/fixtures.js';

const servers: ReplayServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function umServer(autoPlay = false): Promise<ReplayServer> {
  const feed = feedFromCapture('um', realFixtureText('BINANCE_FUTURES.ws.1.0'), realFixtureText('BINANCE_FUTURES.http.0.0'), exchangeInfoFromCapture(realFixtureText('BINANCE_FUTURES.0')));
  const server = await startReplayServer({ feed, speed: Infinity, autoPlay });
  servers.push(server);
  return server;
}

/** Opens a socket and collects its text frames. */
async function socket(url: string): Promise<{ ws: WebSocket; frames: string[]; next: () => Promise<string> }> {
  const ws = new WebSocket(url);
  const frames: string[] = [];
  const waiting: ((s: string) => void)[] = [];
  ws.on('message', (d) => { const s = d.toString(); const w = waiting.shift(); if (w) w(s); else frames.push(s); });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  return { ws, frames, next: () => (frames.length > 0 ? Promise.resolve(frames.shift()!) : new Promise((resolve) => waiting.push(resolve))) };
}

describe('replay server', () => {
  it('answers SUBSCRIBE, UNSUBSCRIBE and LIST_SUBSCRIPTIONS like Binance', async () => {
    const server = await umServer();
    const c = await socket(`${server.wsUrl}/market/ws/0`);
    c.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['sushiusdt@aggTrade', 'ctkusdt@kline_1m'], id: 1 }));
    assert.deepEqual(JSON.parse(await c.next()), { result: null, id: 1 });
    c.ws.send(JSON.stringify({ method: 'UNSUBSCRIBE', params: ['ctkusdt@kline_1m'], id: 2 }));
    assert.deepEqual(JSON.parse(await c.next()), { result: null, id: 2 });
    c.ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 3 }));
    assert.deepEqual(JSON.parse(await c.next()), { result: ['sushiusdt@aggTrade'], id: 3 });
    c.ws.send('not json');
    assert.equal(JSON.parse(await c.next()).code, 3);
    c.ws.close();
  });

  it('routes USD-M streams like the 2026 endpoints: depth on /public, aggTrade on /market, raw frames on /ws paths', async () => {
    const server = await umServer();
    const pub = await socket(`${server.wsUrl}/public/stream?streams=sushiusdt@depth@100ms/sushiusdt@aggTrade`);
    const market = await socket(`${server.wsUrl}/market/ws/sushiusdt@aggTrade`);
    await server.waitForSubscribers(['sushiusdt@depth', 'sushiusdt@aggTrade']);
    server.play();
    await server.finished;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const pubStreams = new Set(pub.frames.map((f) => JSON.parse(f).stream));
    assert.deepEqual([...pubStreams], ['sushiusdt@depth@100ms']);
    assert.ok(market.frames.length > 0);
    assert.ok(market.frames.every((f) => JSON.parse(f).e === 'aggTrade'), 'raw (unwrapped) aggTrade frames');
    pub.ws.close(); market.ws.close();
  });

  it('serves REST depth snapshots, exchangeInfo, and aggTrades/klines only up to what it has played', async () => {
    const server = await umServer();
    const get = async (path: string) => (await fetch(`${server.restUrl}${path}`)).json() as Promise<unknown>;
    const depth = await get('/fapi/v1/depth?symbol=SUSHIUSDT&limit=1000') as { lastUpdateId: number };
    assert.equal(depth.lastUpdateId, 600859605926);
    const info = await get('/fapi/v1/exchangeInfo') as { futuresType: string };
    assert.equal(info.futuresType, 'U_MARGINED');
    assert.deepEqual(await get('/fapi/v1/aggTrades?symbol=SUSHIUSDT&limit=5'), [], 'nothing played yet');
    server.play();
    await server.finished;
    const trades = await get('/fapi/v1/aggTrades?symbol=SUSHIUSDT&fromId=87353231&limit=2') as { a: number }[];
    assert.deepEqual(trades.map((t) => t.a), [87353231, 87353232]);
    const klines = await get('/fapi/v1/klines?symbol=CTKUSDT&interval=1m&startTime=0') as unknown[][];
    assert.ok(klines.length >= 1);
    assert.equal(klines[0].length, 12);
    const missing = await fetch(`${server.restUrl}/fapi/v1/depth?symbol=NOPE`);
    assert.equal(missing.status, 400);
  });

  it('injects a 429 with Retry-After through its HTTP control endpoint', async () => {
    const server = await umServer();
    const control = await fetch(`${server.restUrl}/_control/ratelimit?count=1&retryAfter=9`, { method: 'POST' });
    assert.equal(control.status, 200);
    const limited = await fetch(`${server.restUrl}/fapi/v1/exchangeInfo`);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '9');
    await limited.body?.cancel();
    const ok = await fetch(`${server.restUrl}/fapi/v1/exchangeInfo`);
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
  });

  it('stops answering pings on a stalled socket', async () => {
    const server = await umServer();
    const c = await socket(`${server.wsUrl}/market/ws`);
    const pong = (): Promise<boolean> => new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), 200);
      c.ws.once('pong', () => { clearTimeout(timer); resolve(true); });
      c.ws.ping();
    });
    assert.equal(await pong(), true);
    server.faults.stall();
    assert.equal(await pong(), false);
    c.ws.terminate();
  });
});
