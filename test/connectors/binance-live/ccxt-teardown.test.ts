import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Subject, lastValueFrom, takeUntil, tap, toArray } from 'rxjs';
import { createCcxtExchange, fromCcxt } from '../../../connectors/binance-live/from-ccxt.js';
import { exchangeInfoFromCapture, feedFromCapture } from '../../../connectors/binance-replay/replay-feed.js';
import { startReplayServer } from '../../../connectors/binance-replay/replay-server.js';
import type { GapRecord } from '../../../schemas/records.js';
import { realFixtureText } from '../../support/fixtures.js';

const HANDLE_TYPES = new Set(['TCPWRAP', 'TCPSocketWrap', 'TCPServerWrap', 'Timeout', 'Immediate']);
const handles = (): string[] => process.getActiveResourcesInfo().filter((t) => HANDLE_TYPES.has(t)).sort();
const sleepMs = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('fromCcxt teardown and resubscribes', () => {
  it('opens no socket after unsubscribe, leaves no handle and raises no unhandled rejection, when the connection was dropped again and again', { timeout: 30_000 }, async () => {
    const before = handles();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => { unhandled.push(reason); };
    process.on('unhandledRejection', onUnhandled);
    const info = exchangeInfoFromCapture(realFixtureText('BINANCE_FUTURES.0'));
    const feed = feedFromCapture('um', realFixtureText('BINANCE_FUTURES.ws.1.0'), realFixtureText('BINANCE_FUTURES.http.0.0'), info);
    const server = await startReplayServer({ feed, speed: 1, loop: true });
    const stop = new Subject<void>();
    const gaps: GapRecord[] = [];
    let connectionsAtStop = -1;
    const done = lastValueFrom(fromCcxt({ market: 'um', symbols: ['SUSHIUSDT'], types: ['aggTrade', 'depth'], wsUrl: server.wsUrl, restUrl: server.restUrl })
      .pipe(tap((r) => { if (r.kind === 'gap') gaps.push(r); }), takeUntil(stop), toArray()));
    // Drop every socket whenever both watches are connected again, twice; unsubscribe while they resubscribe.
    for (let drops = 0; drops < 2;) {
      await sleepMs(25);
      if (server.stats.connections >= 2 * (drops + 1)) { server.faults.drop(); drops++; }
    }
    while (gaps.length < 4) await sleepMs(10);
    await sleepMs(400); // the watch loops called ccxt again (after 125-250 ms of our backoff): ccxt now waits to dial
    stop.next();
    await done;
    // A dial ccxt started just before the stop may still be connecting: let it land (it is closed by the
    // teardown; the handle check below proves it) before counting. A redial after the stop would come after
    // ccxt's reconnect delay (2 s ± 20 %), well after this.
    await sleepMs(300);
    connectionsAtStop = server.stats.connections;
    await sleepMs(3500); // longer than ccxt's own reconnect delay after two failures (2 s ± 20 %)
    const connectionsAfter = server.stats.connections;
    await server.close();
    await sleepMs(50);
    process.off('unhandledRejection', onUnhandled);
    assert.ok(gaps.every((g) => g.cause === 'ws_disconnect' && g.state === 'reported'), 'each failed watch is reported in-band');
    assert.equal(connectionsAfter, connectionsAtStop, 'no connection is dialled after the source was unsubscribed');
    assert.deepEqual(unhandled, []);
    assert.deepEqual(handles(), before, 'no socket, server or referenced timer is left');
  });

  it('raises no unhandled rejection when sockets close, by drops and by unsubscribing, while ccxt still has SUBSCRIBE messages queued for them', { timeout: 30_000 }, async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => { unhandled.push(reason); };
    process.on('unhandledRejection', onUnhandled);
    const infoText = exchangeInfoFromCapture(realFixtureText('BINANCE_FUTURES.0'));
    const info = JSON.parse(infoText ?? '{}') as { symbols: { symbol: string; contractType: string; status: string }[] };
    const symbols = info.symbols.filter((s) => s.contractType === 'PERPETUAL' && s.status === 'TRADING').map((s) => s.symbol).slice(0, 26);
    const feed = feedFromCapture('um', realFixtureText('BINANCE_FUTURES.ws.1.0'), realFixtureText('BINANCE_FUTURES.http.0.0'), infoText);
    const server = await startReplayServer({ feed, speed: 1, loop: true });
    const stop = new Subject<void>();
    const done = lastValueFrom(fromCcxt({ market: 'um', symbols, types: ['aggTrade', 'kline_1m'], wsUrl: server.wsUrl, restUrl: server.restUrl }).pipe(takeUntil(stop), toArray()));
    // Drop the sockets twice while ccxt opens them (its queued SUBSCRIBEs meet closed sockets), then unsubscribe the same way.
    for (const atLeast of [5, 25]) {
      while (server.stats.connections < atLeast) await sleepMs(2);
      server.faults.drop();
    }
    while (server.stats.connections < 30) await sleepMs(2);
    stop.next();
    await done;
    await sleepMs(500);
    await server.close();
    process.off('unhandledRejection', onUnhandled);
    assert.deepEqual(unhandled.map((e) => (e as Error).message), []);
  });

  it('still rejects a send for a caller that awaits it (only the unobserved rejections are observed)', { timeout: 30_000 }, async () => {
    const ex = createCcxtExchange('um', 'ws://127.0.0.1:9/ws');
    await ex.loadHttpProxyAgent();
    const client = ex.client('ws://127.0.0.1:9/market/ws/0'); // never connected: its send fails
    await assert.rejects(client.send({ method: 'SUBSCRIBE', params: ['btcusdt@aggTrade'], id: 1 }));
    await ex.close();
  });
});
