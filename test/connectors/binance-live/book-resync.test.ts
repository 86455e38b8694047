import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { tap } from 'rxjs';
import { fromBinanceLive, newLiveStats } from '../../../connectors/binance-live/from-binance-live.js';
import { feedFromCapture } from '../../../connectors/binance-replay/replay-feed.js';
import { startReplayServer, type ReplayServer } from '../../../connectors/binance-replay/replay-server.js';
import type { AnyRecord, DepthUpdateRecord, GapRecord } from '../../../schemas/records.js';
import { realFixtureText } from '../../support/fixtures.js';
import { collectUntilAll } from './live-harness.js';

const servers: ReplayServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

const CASES = [
  { market: 'spot', prefix: 'BINANCE', symbol: 'NKNUSDT' },
  { market: 'um', prefix: 'BINANCE_FUTURES', symbol: 'SUSHIUSDT' },
] as const;

for (const c of CASES) {
  describe(`book sync against the replay server (${c.market} capture)`, () => {
    it('reports a withheld depth diff as a sequence_break gap, resyncs from a fresh snapshot and continues the chain', async () => {
      const feed = feedFromCapture(c.market, realFixtureText(`${c.prefix}.ws.1.0`), realFixtureText(`${c.prefix}.http.0.0`));
      const server = await startReplayServer({ feed, speed: 40 });
      servers.push(server);
      const stream = `${c.symbol.toLowerCase()}@depth@100ms`;
      const lastU = Math.max(...feed.events.filter((e) => e.stream === stream).map((e) => (e.data as { u: number }).u));
      const stats = newLiveStats();
      let applied = 0;
      const live = fromBinanceLive({ market: c.market, symbols: [c.symbol], types: ['depth'], wsUrl: server.wsUrl, restUrl: server.restUrl, stats, pingIntervalMs: 50, stallTimeoutMs: 5000 })
        .pipe(tap((r) => { if (r.kind === 'depthUpdate' && ++applied === 10) server.faults.hole(1, stream); }));
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
