import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import { LiveSocket, type LiveSocketTimings } from '../../../connectors/binance-live/live-socket.js';

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A WebSocket server on loopback; `client()` resolves with the server side of the next connection. */
async function server(): Promise<{ url: string; client: () => Promise<WebSocket>; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  return {
    url,
    client: () => new Promise((resolve) => wss.once('connection', (ws) => resolve(ws))),
    close: () => new Promise((resolve) => { for (const c of wss.clients) c.terminate(); wss.close(() => resolve()); }),
  };
}

const closers: (() => Promise<void>)[] = [];
after(() => Promise.all(closers.map((close) => close())));

/** A LiveSocket to a fresh server, collecting its frames and close reasons; `peer` resolves with the server side. */
async function connect(timings: LiveSocketTimings, beforeOpen?: (socket: LiveSocket) => void) {
  const s = await server();
  closers.push(s.close);
  const frames: string[] = [];
  const closes: string[] = [];
  const accepted = s.client();
  const socket = new LiveSocket(s.url, {
    onOpen: () => undefined, onFrame: (text) => frames.push(text), onClose: (reason) => closes.push(reason),
  }, timings, Date.now);
  beforeOpen?.(socket);
  return { socket, frames, closes, peer: await accepted };
}

describe('LiveSocket', () => {
  it('reads nothing while paused, neither pings nor is judged stalled, and delivers every held frame in order on resume', { timeout: 30_000 }, async () => {
    // Paused before the socket opened: applied once it opens.
    const { socket, frames, closes, peer } = await connect({ pingIntervalMs: 20, stallTimeoutMs: 100 }, (s) => s.pause());
    let pings = 0;
    peer.on('ping', () => { pings++; });
    await wait(50);
    for (let i = 0; i < 500; i++) peer.send(JSON.stringify({ i }));
    await wait(400); // four stall timeouts
    assert.deepEqual(frames, []);
    assert.deepEqual(closes, []);
    assert.equal(socket.open, true);
    assert.equal(pings, 0);
    socket.resume();
    for (let i = 0; i < 50 && frames.length < 500; i++) await wait(20);
    assert.deepEqual(frames.map((f) => (JSON.parse(f) as { i: number }).i), Array.from({ length: 500 }, (_, i) => i));
    await wait(200);
    assert.ok(pings > 0, 'pings again once resumed');
    assert.deepEqual(closes, []);
    socket.close();
  });

  it('refuses a frame larger than maxFrameBytes: no frame delivered, one close report naming it', { timeout: 30_000 }, async () => {
    const { socket, frames, closes, peer } = await connect({ pingIntervalMs: 1000, stallTimeoutMs: 5000, maxFrameBytes: 1024 });
    peer.send(JSON.stringify({ small: true }));
    peer.send(JSON.stringify({ big: 'x'.repeat(4096) }));
    for (let i = 0; i < 100 && closes.length === 0; i++) await wait(20);
    assert.deepEqual(frames, ['{"small":true}']);
    assert.equal(closes.length, 1);
    assert.match(closes[0], /max payload size exceeded/i);
    socket.close();
  });
});
