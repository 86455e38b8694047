import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstValueFrom, filter, take, toArray } from 'rxjs';
import { fromBinanceLive } from '../../../connectors/binance-live/from-binance-live.js';
import { feedFromCapture } from '../../../connectors/binance-replay/replay-feed.js';
import { startReplayServer } from '../../../connectors/binance-replay/replay-server.js';
import { realFixtureText } from '../../support/fixtures.js';

const HANDLE_TYPES = new Set(['TCPWRAP', 'TCPSocketWrap', 'TCPServerWrap', 'Timeout', 'Immediate']);
const handles = (): string[] => process.getActiveResourcesInfo().filter((t) => HANDLE_TYPES.has(t)).sort();

describe('fromBinanceLive teardown', () => {
  it('closes every socket and timer on unsubscribe, mid-stream with REST snapshots in flight', { timeout: 30_000 }, async () => {
    const before = handles();
    const feed = feedFromCapture('um', realFixtureText('BINANCE_FUTURES.ws.1.0'), realFixtureText('BINANCE_FUTURES.http.0.0'));
    const server = await startReplayServer({ feed, speed: 20 });
    const live = fromBinanceLive({
      market: 'um', symbols: ['SUSHIUSDT', 'AKROUSDT', 'KEEPUSDT', 'CTKUSDT'], types: ['aggTrade', 'kline_1m', 'bookTicker', 'depth', 'markPrice'],
      wsUrl: server.wsUrl, restUrl: server.restUrl, pingIntervalMs: 20, stallTimeoutMs: 5000, maxConnectionAgeMs: 60_000,
    });
    // take() unsubscribes as soon as the records arrived: both routed sockets are open, snapshots are being fetched.
    const records = await firstValueFrom(live.pipe(filter((r) => r.kind === 'bookTicker' || r.kind === 'aggTrade'), take(20), toArray()));
    assert.equal(records.length, 20);
    assert.equal(server.stats.connections, 2, 'one /public and one /market socket');
    await server.close();
    await server.close();
    // Closed sockets leave the handle list a few event-loop turns later (later still on a loaded machine); a
    // leaked one never does. Wait up to 2 s for the list to settle, then compare.
    for (let waitedMs = 0; waitedMs < 2000 && handles().join() !== before.join(); waitedMs += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.deepEqual(handles(), before, 'no socket, server or referenced timer is left');
  });
});
