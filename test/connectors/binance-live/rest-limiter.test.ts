import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { BinanceRest } from '../../../connectors/binance-live/rest-client.js';
import { RestLimiter } from '../../../connectors/binance-live/rest-limiter.js';
import { startReplayServer, type ReplayServer } from '../../../connectors/binance-replay/replay-server.js';
import { RateLimitedError, RetriesExhaustedError } from '../../../schemas/errors.js';
import { cmAggTradeEvents, cmFeed } from './live-harness.js';

/** A virtual clock: sleeping advances it instantly and records the wait. */
function virtualClock(startMs = 1_000_000) {
  const state = { nowMs: startMs, sleeps: [] as number[] };
  return {
    state,
    now: () => state.nowMs,
    sleep: async (ms: number) => { state.sleeps.push(ms); state.nowMs += ms; },
  };
}

const servers: ReplayServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function playedServer(): Promise<ReplayServer> {
  const server = await startReplayServer({ feed: cmFeed(cmAggTradeEvents(50)), speed: Infinity });
  servers.push(server);
  server.play();
  await server.finished;
  return server;
}

describe('RestLimiter', () => {
  it('waits for the next minute when the weight budget is spent', { timeout: 30_000 }, async () => {
    const clock = virtualClock(60_000 * 100 + 10_000);
    const limiter = new RestLimiter({ weightPerMinute: 100, now: clock.now, sleep: clock.sleep });
    await limiter.acquire(60);
    await limiter.acquire(30);
    assert.deepEqual(clock.state.sleeps, []);
    await limiter.acquire(20);
    assert.deepEqual(clock.state.sleeps, [50_000]);
    assert.equal(limiter.stats.weight, 110);
  });

  it('adopts a higher used-weight count reported by the server', { timeout: 30_000 }, async () => {
    const clock = virtualClock(0);
    const limiter = new RestLimiter({ weightPerMinute: 100, now: clock.now, sleep: clock.sleep });
    limiter.observeUsedWeight(95);
    await limiter.acquire(10);
    assert.deepEqual(clock.state.sleeps, [60_000]);
  });
});

describe('BinanceRest through the limiter, against the replay server', () => {
  it('pauses every REST call for the Retry-After of a 429, then succeeds', { timeout: 30_000 }, async () => {
    const server = await playedServer();
    const clock = virtualClock();
    const limiter = new RestLimiter({ now: clock.now, sleep: clock.sleep });
    const rest = new BinanceRest({ market: 'cm', baseUrl: server.restUrl, limiter, now: clock.now });
    server.faults.rateLimit(1, 7);
    const rows = await rest.aggTrades('BTCUSD_PERP', 480537903, 10);
    assert.equal(rows.length, 10);
    assert.equal(rows[0].aggTradeId, 480537903);
    assert.deepEqual(clock.state.sleeps, [7000]);
    assert.equal(limiter.stats.rateLimited, 1);
    assert.equal(limiter.stats.longestPauseMs, 7000);
    // A 418 (IP ban) is honoured the same way.
    server.faults.rateLimit(1, 3, 418);
    await rest.getJson('/aggTrades', { symbol: 'BTCUSD_PERP', limit: 1 }, 1);
    assert.deepEqual(clock.state.sleeps, [7000, 3000]);
    // A call made while a pause is running waits for the rest of it.
    limiter.pause(2000);
    const before = clock.state.nowMs;
    await rest.aggTrades('BTCUSD_PERP', 480537903, 1);
    assert.equal(clock.state.nowMs - before, 2000);
  });

  it('gives up with RetriesExhaustedError whose cause is the RateLimitedError when 429s persist', { timeout: 30_000 }, async () => {
    const server = await playedServer();
    const clock = virtualClock();
    const rest = new BinanceRest({ market: 'cm', baseUrl: server.restUrl, limiter: new RestLimiter({ now: clock.now, sleep: clock.sleep }), maxAttempts: 3, now: clock.now });
    server.faults.rateLimit(5, 2);
    const error = await rest.aggTrades('BTCUSD_PERP', 480537903, 1).catch((e: unknown) => e);
    assert.ok(error instanceof RetriesExhaustedError);
    assert.ok(error.cause instanceof RateLimitedError);
    assert.equal(error.cause.retryAfterMs, 2000);
    assert.deepEqual(clock.state.sleeps, [2000, 2000]);
  });
});
