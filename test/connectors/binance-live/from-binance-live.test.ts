import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { tap } from 'rxjs';
import { fromBinanceLive, newLiveStats } from '../../../connectors/binance-live/from-binance-live.js';
import { RestLimiter } from '../../../connectors/binance-live/rest-limiter.js';
import { feedFromArchiveFile } from '../../../connectors/binance-replay/archive-csv.js';
import { startReplayServer, type ReplayServer } from '../../../connectors/binance-replay/replay-server.js';
import { realFixture } from '../../support/fixtures.js';
import type { AnyRecord, GapRecord } from '../../../schemas/records.js';
import { cmAggTradeEvents, cmFeed, cmTradeEvents, collectUntil, collectUntilAll, isSettledGap } from './live-harness.js';

const FAST = { pingIntervalMs: 50, stallTimeoutMs: 2000, reconnectBaseDelayMs: 10, reconnectMaxDelayMs: 50 } as const;
const servers: ReplayServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

function ids(records: AnyRecord[], kind: 'trade' | 'aggTrade'): number[] {
  return records.flatMap((r) => (r.kind === kind ? [r.kind === 'trade' ? r.tradeId : r.aggTradeId] : []));
}
function sourceIds(events: ReturnType<typeof cmAggTradeEvents>, field: 'a' | 't'): number[] {
  return events.map((e) => (e.data as Record<string, number>)[field]);
}
const gapsOf = (records: AnyRecord[]): GapRecord[] => records.filter((r): r is GapRecord => r.kind === 'gap');

describe('fromBinanceLive against the replay server (no internet)', () => {
  it('reports a forced disconnect mid aggTrade stream as a gap, repairs it over REST and yields every id exactly once, in order', { timeout: 30_000 }, async () => {
    const events = cmAggTradeEvents(4000);
    const server = await startReplayServer({ feed: cmFeed(events), speed: 8000 });
    servers.push(server);
    const lastId = sourceIds(events, 'a').at(-1)!;
    const stats = newLiveStats();
    let seen = 0;
    const live = fromBinanceLive({ market: 'cm', symbols: ['BTCUSD_PERP'], types: ['aggTrade'], wsUrl: server.wsUrl, restUrl: server.restUrl, stats, ...FAST })
      .pipe(tap((r) => { if (r.kind === 'aggTrade' && ++seen === 1200) server.faults.drop(); }));
    const records = await collectUntilAll(live, [(r) => r.kind === 'aggTrade' && r.aggTradeId === lastId, isSettledGap]);
    assert.deepEqual(ids(records, 'aggTrade'), sourceIds(events, 'a'));
    const gaps = gapsOf(records);
    assert.equal(server.faults.injected.drops, 1);
    assert.deepEqual(gaps.map((g) => [g.cause, g.state]), [['ws_disconnect', 'open'], ['ws_disconnect', 'filled']]);
    assert.equal(gaps[0].stream, 'binance.cm.aggTrade.BTCUSD_PERP');
    assert.equal(gaps[1].fromUs, gaps[0].fromUs, 'the filled report has the same identity as the open one');
    assert.equal(gaps[1].toUs, gaps[0].toUs);
    assert.ok(gaps[1].version > gaps[0].version);
    assert.equal(gaps[1].filledCount, stats.repaired);
    assert.ok(records.filter((r) => r.source === 'rest').length === stats.repaired);
    assert.equal(stats.reconnects, 1);
  });

  it('keeps repairing through 429 answers, pausing for their Retry-After on the shared limiter', { timeout: 30_000 }, async () => {
    const events = cmAggTradeEvents(2000);
    const server = await startReplayServer({ feed: cmFeed(events), speed: 8000 });
    servers.push(server);
    const sleeps: number[] = [];
    let skippedMs = 0; // the limiter's clock jumps over its waits, so the test does not sleep for real
    const limiter = new RestLimiter({ now: () => Date.now() + skippedMs, sleep: async (ms) => { sleeps.push(ms); skippedMs += ms; } });
    let seen = 0;
    const live = fromBinanceLive({ market: 'cm', symbols: ['BTCUSD_PERP'], types: ['aggTrade'], wsUrl: server.wsUrl, restUrl: server.restUrl, limiter, ...FAST })
      .pipe(tap((r) => { if (r.kind === 'aggTrade' && ++seen === 700) { server.faults.rateLimit(2, 5); server.faults.drop(); } }));
    const records = await collectUntilAll(live, [(r) => r.kind === 'aggTrade' && r.aggTradeId === sourceIds(events, 'a').at(-1), isSettledGap]);
    assert.deepEqual(ids(records, 'aggTrade'), sourceIds(events, 'a'));
    assert.equal(server.faults.injected.rateLimited, 2);
    assert.equal(limiter.stats.rateLimited, 2);
    assert.equal(sleeps.length, 2, `waits ${sleeps.join(',')}`);
    for (const ms of sleeps) assert.ok(ms > 4900 && ms <= 5000, `waited ${ms} ms for a Retry-After of 5 s`);
    assert.deepEqual(gapsOf(records).map((g) => g.state), ['open', 'filled']);
  });

  it('repairs a forced disconnect mid trade stream the same way (trade ids exactly once, in order)', { timeout: 30_000 }, async () => {
    const events = cmTradeEvents(1500);
    const server = await startReplayServer({ feed: cmFeed(events), speed: 4000 });
    servers.push(server);
    const expected = sourceIds(events, 't');
    let seen = 0;
    // With an API key: futures historicalTrades by id, pages of at most 500 (the keyless route only sees the last 1000).
    const live = fromBinanceLive({ market: 'cm', symbols: ['BTCUSD_PERP'], types: ['trade'], wsUrl: server.wsUrl, restUrl: server.restUrl, apiKey: 'replay-key', ...FAST })
      .pipe(tap((r) => { if (r.kind === 'trade' && ++seen === 900) server.faults.drop(); }));
    const records = await collectUntilAll(live, [(r) => r.kind === 'trade' && r.tradeId === expected.at(-1), isSettledGap]);
    assert.deepEqual(ids(records, 'trade'), expected);
    assert.deepEqual(gapsOf(records).map((g) => g.state), ['open', 'filled']);
    const repaired = records.find((r) => r.kind === 'trade' && r.source === 'rest');
    assert.ok(repaired?.kind === 'trade' && repaired.contracts !== null && repaired.qty === null, 'COIN-M REST trades carry contracts');
    assert.match(repaired.ingestId, /^rest:\/dapi\/v1\/historicalTrades\?.*limit=500/);
  });

  it('detects a hole in live trade ids, reports it as a sequence_break gap and fills it from REST', { timeout: 30_000 }, async () => {
    const events = cmAggTradeEvents(1500);
    const server = await startReplayServer({ feed: cmFeed(events), speed: 4000 });
    servers.push(server);
    let seen = 0;
    const live = fromBinanceLive({ market: 'cm', symbols: ['BTCUSD_PERP'], types: ['aggTrade'], wsUrl: server.wsUrl, restUrl: server.restUrl, ...FAST })
      .pipe(tap((r) => { if (r.kind === 'aggTrade' && ++seen === 300) server.faults.hole(7); }));
    const records = await collectUntilAll(live, [(r) => r.kind === 'aggTrade' && r.aggTradeId === sourceIds(events, 'a').at(-1), isSettledGap]);
    assert.deepEqual(ids(records, 'aggTrade'), sourceIds(events, 'a'));
    const gaps = gapsOf(records);
    assert.equal(server.faults.injected.holeEvents, 7);
    assert.deepEqual(gaps.map((g) => [g.cause, g.state]), [['sequence_break', 'open'], ['sequence_break', 'filled']]);
    assert.equal((gaps[0].toId ?? 0) - (gaps[0].fromId ?? 0) + 1, 7);
    assert.equal(gaps[1].filledCount, 7);
  });

  it('detects a stalled connection (no frames, no pongs) and reconnects, still yielding every id once', { timeout: 30_000 }, async () => {
    const events = cmAggTradeEvents(1500);
    const server = await startReplayServer({ feed: cmFeed(events), speed: 3000 });
    servers.push(server);
    const stats = newLiveStats();
    let seen = 0;
    const live = fromBinanceLive({ market: 'cm', symbols: ['BTCUSD_PERP'], types: ['aggTrade'], wsUrl: server.wsUrl, restUrl: server.restUrl, stats, ...FAST, stallTimeoutMs: 150 })
      .pipe(tap((r) => { if (r.kind === 'aggTrade' && ++seen === 500) server.faults.stall(); }));
    const records = await collectUntilAll(live, [(r) => r.kind === 'aggTrade' && r.aggTradeId === sourceIds(events, 'a').at(-1), isSettledGap]);
    assert.deepEqual(ids(records, 'aggTrade'), sourceIds(events, 'a'));
    const [open] = gapsOf(records);
    assert.match(open.detail ?? '', /stalled: no frame or pong/);
    assert.ok(stats.reconnects >= 1);
    assert.ok(server.stats.connections >= 2);
  });

  it('passes a malformed frame on as a dead letter and keeps streaming', { timeout: 30_000 }, async () => {
    const events = cmAggTradeEvents(600);
    const server = await startReplayServer({ feed: cmFeed(events), speed: Infinity });
    servers.push(server);
    let seen = 0;
    const live = fromBinanceLive({ market: 'cm', symbols: ['BTCUSD_PERP'], types: ['aggTrade'], wsUrl: server.wsUrl, restUrl: server.restUrl, ...FAST })
      .pipe(tap((r) => { if (r.kind === 'aggTrade' && ++seen === 100) server.faults.malformed(); }));
    const records = await collectUntil(live, (r) => r.kind === 'aggTrade' && r.aggTradeId === sourceIds(events, 'a').at(-1));
    const dead = records.filter((r) => r.kind === 'deadLetter');
    assert.equal(dead.length, 1);
    assert.equal(dead[0].kind === 'deadLetter' && dead[0].raw.startsWith('{"stream":"btcusd_perp@aggTrade"'), true);
    assert.deepEqual(ids(records, 'aggTrade'), sourceIds(events, 'a'));
  });

  it('rolls to a new connection on a serverShutdown notice, before the server closes the old one: no gap, every id once', { timeout: 30_000 }, async () => {
    const events = cmAggTradeEvents(2000);
    const server = await startReplayServer({ feed: cmFeed(events), speed: 4000 });
    servers.push(server);
    const stats = newLiveStats();
    let seen = 0;
    const live = fromBinanceLive({ market: 'cm', symbols: ['BTCUSD_PERP'], types: ['aggTrade'], wsUrl: server.wsUrl, restUrl: server.restUrl, stats, ...FAST })
      .pipe(tap((r) => { if (r.kind === 'aggTrade' && ++seen === 500) server.faults.shutdown(300); }));
    const records = await collectUntil(live, (r) => r.kind === 'aggTrade' && r.aggTradeId === sourceIds(events, 'a').at(-1));
    assert.deepEqual(ids(records, 'aggTrade'), sourceIds(events, 'a'));
    assert.equal(server.faults.injected.shutdowns, 1);
    assert.equal(stats.rolls, 1);
    assert.equal(stats.reconnects, 0);
    assert.equal(gapsOf(records).length, 0);
  });

  it('rolls a connection before its maximum age with an overlapping socket and drops the overlap duplicates', { timeout: 30_000 }, async () => {
    const events = cmAggTradeEvents(3000);
    const server = await startReplayServer({ feed: cmFeed(events), speed: 3000 });
    servers.push(server);
    const stats = newLiveStats();
    const live = fromBinanceLive({ market: 'cm', symbols: ['BTCUSD_PERP'], types: ['aggTrade'], wsUrl: server.wsUrl, restUrl: server.restUrl, stats, ...FAST, maxConnectionAgeMs: 200, rollOverlapMs: 5000 });
    const records = await collectUntil(live, (r) => r.kind === 'aggTrade' && r.aggTradeId === sourceIds(events, 'a').at(-1));
    assert.deepEqual(ids(records, 'aggTrade'), sourceIds(events, 'a'));
    assert.ok(stats.rolls >= 1, `rolls ${stats.rolls}`);
    assert.ok(stats.duplicatesDropped >= 1, 'both sockets delivered the overlap; one copy was dropped');
    assert.ok(server.stats.connections >= 2);
    assert.equal(gapsOf(records).length, 0, 'a roll is not a disconnect');
    assert.equal(stats.reconnects, 0);
  });
});

describe('kline repair against the replay server', () => {
  it('repairs a disconnect in a kline stream by time over REST: every candle of the real archive day, in order, final values', { timeout: 30_000 }, async () => {
    const feed = await feedFromArchiveFile(realFixture('BTCUSDT-1m-2020-01-01.zip'), 'spot');
    const server = await startReplayServer({ feed, speed: 60_000 });
    servers.push(server);
    const opens = feed.events.map((e) => (e.data as { k: { t: number } }).k.t * 1000);
    let seen = 0;
    const live = fromBinanceLive({ market: 'spot', symbols: ['BTCUSDT'], types: ['kline_1m'], wsUrl: server.wsUrl, restUrl: server.restUrl, ...FAST })
      .pipe(tap((r) => { if (r.kind === 'kline' && ++seen === 500) server.faults.drop(); }));
    const records = await collectUntilAll(live, [(r) => r.kind === 'kline' && r.openTimeUs === opens.at(-1), isSettledGap]);
    const klines = records.filter((r) => r.kind === 'kline');
    const openTimes = klines.map((k) => (k.kind === 'kline' ? k.openTimeUs : 0));
    assert.deepEqual([...new Set(openTimes)], opens, 'every candle, in order');
    for (let i = 1; i < openTimes.length; i++) assert.ok(openTimes[i] >= openTimes[i - 1]);
    const repaired = klines.filter((k) => k.source === 'rest');
    assert.ok(repaired.length > 0);
    assert.ok(repaired.every((k) => k.kind === 'kline' && k.isClosed && k.tradeCount !== null));
    const gaps = gapsOf(records);
    assert.deepEqual(gaps.map((g) => [g.dataType, g.state]), [['kline', 'open'], ['kline', 'filled']]);
    assert.equal(gaps[0].stream, 'binance.spot.kline.trade.1m.BTCUSDT');
    const first = feed.events[0].data as { k: { o: string; c: string } };
    const firstRecord = klines[0];
    assert.ok(firstRecord.kind === 'kline' && firstRecord.open === Number(first.k.o) && firstRecord.close === Number(first.k.c));
  });
});
