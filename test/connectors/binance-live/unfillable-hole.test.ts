/**
 * An id hole REST cannot fill (an empty answer, a 401 for a missing API key, a persisting 5xx) must not stall
 * the live stream: bounded attempts, then one `unfillable` report of the hole, and every later record at once.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { delay, from, lastValueFrom, takeUntil, tap, toArray } from 'rxjs';
import { fromBinanceLive, newLiveStats } from '../../../connectors/binance-live/from-binance-live.js';
import { RestLimiter } from '../../../connectors/binance-live/rest-limiter.js';
import type { RestFailAnswer } from '../../../connectors/binance-replay/replay-faults.js';
import { startReplayServer, type ReplayServer } from '../../../connectors/binance-replay/replay-server.js';
import type { AnyRecord, GapRecord } from '../../../schemas/records.js';
import { cmFeed, cmTradeEvents, collectUntilAll, isSettledGap } from './live-harness.js';

const FAST = { pingIntervalMs: 50, stallTimeoutMs: 2000, reconnectBaseDelayMs: 10, reconnectMaxDelayMs: 50 } as const;
const servers: ReplayServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

/** A limiter whose clock jumps over its waits: backoff and Retry-After cost no real time. */
function instantLimiter(): { limiter: RestLimiter; sleeps: number[] } {
  const sleeps: number[] = [];
  let skippedMs = 0;
  return { sleeps, limiter: new RestLimiter({ now: () => Date.now() + skippedMs, sleep: async (ms) => { sleeps.push(ms); skippedMs += ms; } }) };
}

const tradeIds = (records: AnyRecord[]): number[] => records.flatMap((r) => (r.kind === 'trade' ? [r.tradeId] : []));

/** Runs a COIN-M trade stream with a 5-id hole whose REST repair answers `answer` every time. */
async function runHole(answer: RestFailAnswer, apiKey?: string): Promise<{ records: AnyRecord[]; expected: number[]; server: ReplayServer; sleeps: number[] }> {
  const events = cmTradeEvents(300);
  const expected = events.map((e) => (e.data as { t: number }).t);
  const server = await startReplayServer({ feed: cmFeed(events), speed: 2000 });
  servers.push(server);
  server.faults.restFail(answer, 1_000_000);
  const { limiter, sleeps } = instantLimiter();
  let seen = 0;
  const live = fromBinanceLive({ market: 'cm', symbols: ['BTCUSD_PERP'], types: ['trade'], wsUrl: server.wsUrl, restUrl: server.restUrl, limiter, stats: newLiveStats(), apiKey, ...FAST })
    .pipe(tap((r) => { if (r.kind === 'trade' && ++seen === 200) server.faults.hole(5); }));
  // Bounded wait for the failing case (records held forever): the feed's end, plus a moment to drain.
  const records = await collectUntilAll(live.pipe(takeUntil(from(server.finished).pipe(delay(3000)))), [
    (r) => r.kind === 'trade' && r.tradeId === expected.at(-1), isSettledGap,
  ]);
  return { records, expected, server, sleeps };
}

function assertOneUnfillableHole(records: AnyRecord[], expected: number[]): GapRecord {
  const gaps = records.filter((r): r is GapRecord => r.kind === 'gap');
  const identities = new Set(gaps.map((g) => `${g.stream}|${g.fromUs}|${g.toUs}`));
  assert.equal(identities.size, 1, `one gap identity for the hole; got ${gaps.length} gap records: ${gaps.map((g) => `${g.state} ${g.fromId}..${g.toId}`).join(', ')}`);
  assert.deepEqual(gaps.map((g) => [g.cause, g.state]), [['sequence_break', 'open'], ['sequence_break', 'unfillable']]);
  const [open, final] = gaps;
  assert.ok(final.version > open.version, 'the verdict replaces the open report');
  assert.deepEqual([final.fromId, final.toId, final.filledCount], [open.fromId, open.toId, 0]);
  assert.equal((open.toId ?? 0) - (open.fromId ?? 0) + 1, 5);
  assert.deepEqual(tradeIds(records), expected.filter((id) => id < (open.fromId ?? 0) || id > (open.toId ?? 0)), 'every trade after the hole, once, in order');
  return final;
}

describe('an id hole REST cannot fill', () => {
  it('an empty REST answer: one unfillable gap, every later trade flows on', { timeout: 30_000 }, async () => {
    const { records, expected, server } = await runHole('empty');
    const gap = assertOneUnfillableHole(records, expected);
    assert.match(gap.detail ?? '', /REST/);
    assert.ok(server.faults.injected.restFailed <= 3, `a few REST calls, not one per re-detection: ${server.faults.injected.restFailed}`);
  });

  it('a 401 (API key missing or refused) ends at the first answer', { timeout: 30_000 }, async () => {
    const { records, expected, server } = await runHole(401, 'not-a-real-key');
    const gap = assertOneUnfillableHole(records, expected);
    assert.match(gap.detail ?? '', /401/);
    assert.equal(server.faults.injected.restFailed, 1, 'a refusal is not retried');
  });

  it('a persisting 503: bounded retries with backoff, then unfillable', { timeout: 30_000 }, async () => {
    const { records, expected, server, sleeps } = await runHole(503);
    const gap = assertOneUnfillableHole(records, expected);
    assert.match(gap.detail ?? '', /503/);
    assert.ok(server.faults.injected.restFailed >= 2 && server.faults.injected.restFailed <= 10, `bounded attempts: ${server.faults.injected.restFailed}`);
    assert.ok(sleeps.length >= 1, 'backed off between attempts');
  });
});

describe('what REST fills without an API key', () => {
  it('a COIN-M trade hole from the recent-trades list (futures historicalTrades needs a key)', { timeout: 30_000 }, async () => {
    const events = cmTradeEvents(300);
    const expected = events.map((e) => (e.data as { t: number }).t);
    assert.ok(expected.length < 1000, 'the whole feed fits in the recent list');
    const server = await startReplayServer({ feed: cmFeed(events), speed: 2000 });
    servers.push(server);
    server.faults.restFail(401, 1_000_000, '/historicalTrades');
    let seen = 0;
    const live = fromBinanceLive({ market: 'cm', symbols: ['BTCUSD_PERP'], types: ['trade'], wsUrl: server.wsUrl, restUrl: server.restUrl, ...FAST })
      .pipe(tap((r) => { if (r.kind === 'trade' && ++seen === 200) server.faults.hole(5); }));
    const records = await collectUntilAll(live, [(r) => r.kind === 'trade' && r.tradeId === expected.at(-1), isSettledGap]);
    assert.deepEqual(tradeIds(records), expected);
    const repaired = records.filter((r) => r.source === 'rest');
    assert.equal(repaired.length, 5);
    assert.ok(repaired.every((r) => /^rest:\/dapi\/v1\/trades\?/.test(r.ingestId)), repaired[0]?.ingestId);
    assert.deepEqual(records.filter((r): r is GapRecord => r.kind === 'gap').map((g) => g.state), ['open', 'filled']);
    assert.equal(server.faults.injected.restFailed, 0, 'historicalTrades was not asked');
  });
});

describe('stopping while a repair is unfinished', () => {
  it('emits the live records held behind the hole and completes; the hole stays open', { timeout: 30_000 }, async () => {
    const events = cmTradeEvents(300);
    const expected = events.map((e) => (e.data as { t: number }).t);
    const server = await startReplayServer({ feed: cmFeed(events), speed: 2000 });
    servers.push(server);
    server.faults.restFail(503, 1_000_000);
    // REST retries wait until the run stops: the repair is still running when the stop comes.
    const limiter = new RestLimiter({ sleep: (_ms, signal) => new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true })) });
    const stats = newLiveStats();
    const stop = new AbortController();
    let seen = 0;
    let stopped = false;
    const live = fromBinanceLive({ market: 'cm', symbols: ['BTCUSD_PERP'], types: ['trade'], wsUrl: server.wsUrl, restUrl: server.restUrl, limiter, stats, stop: stop.signal, ...FAST })
      .pipe(tap((r) => { if (r.kind === 'trade' && ++seen === 200) server.faults.hole(5); }));
    void server.finished.then(async () => {
      while (stats.frames < server.stats.framesSent) await new Promise((resolve) => setTimeout(resolve, 10));
      stopped = true;
      stop.abort();
    });
    // The guard only bounds the failing case (a source that does not complete on its stop).
    const records = await lastValueFrom(live.pipe(takeUntil(from(server.finished).pipe(delay(5000))), toArray()));
    assert.ok(stopped, `frames ${stats.frames} of ${server.stats.framesSent}`);
    const gaps = records.filter((r): r is GapRecord => r.kind === 'gap');
    assert.deepEqual(gaps.map((g) => g.state), ['open'], 'the repair was still running at the stop');
    assert.deepEqual(tradeIds(records), expected.filter((id) => id < (gaps[0].fromId ?? 0) || id > (gaps[0].toId ?? 0)), 'the held trades were emitted at the stop');
  });
});
