import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import type { FeedEvent } from '../../../connectors/binance-replay/replay-feed.js';
import { ReplayPlayer } from '../../../connectors/binance-replay/replay-player.js';

/** `n` aggTrade events all recorded in the same millisecond: a burst. */
function burst(n: number): FeedEvent[] {
  return Array.from({ length: n }, (_, i) => ({ timeMs: 1_700_000_000_000, stream: 'btcusdt@aggTrade', data: { e: 'aggTrade', a: i + 1 } }));
}

/** Plays `events` to the end and returns each delivery's time after the start, ms. */
async function play(events: FeedEvent[], pace: number | { rate: number }): Promise<number[]> {
  const at: number[] = [];
  let start = 0;
  const player = new ReplayPlayer(events, pace, false, () => { at.push(performance.now() - start); return true; }, () => undefined);
  start = performance.now();
  player.start();
  await player.finished;
  player.stop();
  return at;
}

describe('ReplayPlayer', () => {
  it('plays a recorded burst at once at its recorded pace', async () => {
    const at = await play(burst(50), 1);
    assert.equal(at.length, 50);
  });

  it('spreads the same burst evenly at a rate: event n is not played before n / rate s', async () => {
    const rate = 500; // one event every 2 ms
    const at = await play(burst(40), { rate });
    assert.equal(at.length, 40);
    // A lower bound only: a slow machine plays later, never earlier.
    at.forEach((ms, n) => assert.ok(ms >= (n * 1000) / rate - 0.01, `event ${n} played after ${ms.toFixed(2)} ms, before its slot at ${(n * 1000) / rate} ms`));
    assert.ok(at[39] >= 78, 'the last of 40 events at 500/s comes after 78 ms');
  });
});
