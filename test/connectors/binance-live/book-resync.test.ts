import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { fromBinanceLive, newLiveStats } from '../../../connectors/binance-live/from-binance-live.js';
import { feedFromCapture } from '../../../connectors/binance-replay/replay-feed.js';
import { startReplayServer, type ReplayServer } from '../../../connectors/binance-replay/replay-server.js';
import type { AnyRecord, DepthUpdateRecord, GapRecord } from '../../../schemas/records.js';
import { realFixtureText } from '../../support/fixtures.js';
import { bookSteps, collectUntilAll } from './live-harness.js';

const servers: ReplayServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

const CASES = [
  { market: 'spot', prefix: 'BINANCE', symbol: 'NKNUSDT' },
  { market: 'um', prefix: 'BINANCE_FUTURES', symbol: 'SUSHIUSDT' },
] as const;

for (const c of CASES) {
  describe(`book sync against the replay server (${c.market} capture)`, () => {
    it('reports a withheld depth diff as a sequence_break gap, resyncs from a fresh snapshot and continues the chain', { timeout: 30_000 }, async () => {
      const feed = feedFromCapture(c.market, realFixtureText(`${c.prefix}.ws.1.0`), realFixtureText(`${c.prefix}.http.0.0`));
      const server = await startReplayServer({ feed, speed: 40 });
      servers.push(server);
      const stream = `${c.symbol.toLowerCase()}@depth@100ms`;
      const diffs = feed.events.filter((e) => e.stream === stream).map((e) => e.data as { U: number; u: number });
      const lastU = diffs.at(-1)!.u;
      const stats = newLiveStats();
      // The book syncs through diff 20, diff 21 is withheld, the resync catches up through diff 40 before the
      // rest plays: the last diff is then applied as a diff, not only folded into the resync's snapshot.
      const live = fromBinanceLive({ market: c.market, symbols: [c.symbol], types: ['depth'], wsUrl: server.wsUrl, restUrl: server.restUrl, stats, pingIntervalMs: 50, stallTimeoutMs: 5000 })
        .pipe(bookSteps(server, feed.events, stream, [{ diff: 20, then: () => server.faults.hole(1, stream) }, { diff: 40 }]));
      const records: AnyRecord[] = await collectUntilAll(live, [
        (r) => r.kind === 'gap',
        (r) => r.kind === 'depthUpdate' && r.finalUpdateId === lastU,
      ]);
      const gaps = records.filter((r): r is GapRecord => r.kind === 'gap');
      assert.equal(gaps.length, 1);
      assert.equal(gaps[0].cause, 'sequence_break');
      assert.equal(gaps[0].state, 'reported');
      assert.match(gaps[0].detail ?? '', /^resync/);
      assert.equal(server.faults.injected.holeEvents, 1);
      // The first snapshot may already hold diff 20 (a fresh one, taken after it played).
      const beforeGap = records.slice(0, records.indexOf(gaps[0])).filter((r) => r.kind === 'depthUpdate' || r.kind === 'bookSnapshot').at(-1);
      assert.equal(beforeGap?.finalUpdateId, diffs[20].u, 'the book broke right after diff 20');
      assert.ok(records.every((r) => r.kind !== 'depthUpdate' || r.finalUpdateId !== diffs[21].u), 'the withheld diff never arrived');
      assert.equal(records.filter((r) => r.kind === 'bookSnapshot').length, 2, 'the first sync and the resync');
      assert.equal(stats.resyncs, 1);
      // After each snapshot the chain follows the market's rule.
      let previous: DepthUpdateRecord | null = null;
      for (const r of records) {
        if (r.kind === 'bookSnapshot' || r.kind === 'gap') { previous = null; continue; }
        if (r.kind !== 'depthUpdate') continue;
        if (previous !== null) {
          if (c.market === 'spot') assert.equal(r.firstUpdateId, previous.finalUpdateId + 1);
          else assert.equal(r.prevFinalUpdateId, previous.finalUpdateId);
        }
        previous = r;
      }
    });
  });
}
