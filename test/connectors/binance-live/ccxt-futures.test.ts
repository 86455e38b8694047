import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Subject, lastValueFrom, takeUntil, toArray, type Observable } from 'rxjs';
import { fromBinanceLive } from '../../../connectors/binance-live/from-binance-live.js';
import { fromCcxt } from '../../../connectors/binance-live/from-ccxt.js';
import type { LiveMarket } from '../../../connectors/binance-live/live-context.js';
import { feedFromCapture } from '../../../connectors/binance-replay/replay-feed.js';
import { startReplayServer, type ReplayServer } from '../../../connectors/binance-replay/replay-server.js';
import type { AnyRecord } from '../../../schemas/records.js';
import { combined, forceOrder, markPriceSeconds, wsCaptureText, type CaptureFrame } from './futures-capture.js';

const servers: ReplayServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

const FUNDING_MS = 1617321600000;
const CASES = [
  { market: 'um', symbol: 'BTCUSDT', url: 'wss://fstream.binance.com/market/stream?streams=btcusdt@markPrice', ps: undefined, withIndex: true },
  { market: 'cm', symbol: 'BTCUSD_PERP', url: 'wss://dstream.binance.com/stream?streams=btcusd_perp@markPrice', ps: 'BTCUSD', withIndex: false },
] as const;

/** Mark prices across the funding time, then two liquidations, of one symbol (COIN-M orders carry `ps`). */
function frames(c: (typeof CASES)[number]): CaptureFrame[] {
  const lower = c.symbol.toLowerCase();
  const liquidation = (E: number, o: { S: string; q: string; p: string; ap: string; l: string; z: string }): CaptureFrame => (
    { receiveMs: E + 5, raw: combined(`${lower}@forceOrder`, forceOrder(E, { s: c.symbol, ps: c.ps, ...o, T: E - 7 })) });
  return [
    ...markPriceSeconds(`${lower}@markPrice@1s`, { s: c.symbol, withIndex: c.withIndex, fundingMs: FUNDING_MS, ratesE8: [58959, 59011, 61200] }, FUNDING_MS - 2998, 6),
    liquidation(FUNDING_MS + 4100, { S: 'BUY', q: '14', p: '59120.5', ap: '59101.1', l: '10', z: '14' }),
    liquidation(FUNDING_MS + 5300, { S: 'SELL', q: '125', p: '58710.0', ap: '58744.3', l: '125', z: '125' }),
  ];
}

/** Replays the frames once into `source` (started when both streams are subscribed) and returns its records. */
async function replayInto(c: (typeof CASES)[number], source: (wsUrl: string, restUrl: string) => Observable<AnyRecord>): Promise<AnyRecord[]> {
  const server = await startReplayServer({ feed: feedFromCapture(c.market, wsCaptureText(c.url, frames(c))), speed: 4, autoPlay: false });
  servers.push(server);
  const stop = new Subject<void>();
  const records = lastValueFrom(source(server.wsUrl, server.restUrl).pipe(takeUntil(stop), toArray()));
  const lower = c.symbol.toLowerCase();
  await server.waitForSubscribers([`${lower}@markPrice`, `${lower}@forceOrder`]);
  server.play();
  await server.finished;
  await new Promise((resolve) => setTimeout(resolve, 200));
  stop.next();
  const out = await records;
  await server.close();
  return out;
}

const strip = (r: AnyRecord): Record<string, unknown> => {
  const { receiveTimeUs: _r, version: _v, ingestId: _i, ...rest } = r as AnyRecord & Record<string, unknown>;
  return rest;
};

for (const c of CASES) {
  describe(`ccxt source vs raw source on replayed ${c.market} markPrice and forceOrder frames`, () => {
    it('watchMarkPrice and watchLiquidations yield the same markPrice, fundingRate and liquidation records as the raw path', { timeout: 30_000 }, async () => {
      const options = { market: c.market as LiveMarket, symbols: [c.symbol], types: ['markPrice', 'forceOrder'] as const };
      const raw = await replayInto(c, (wsUrl, restUrl) => fromBinanceLive({ ...options, types: [...options.types], wsUrl, restUrl }));
      const viaCcxt = await replayInto(c, (wsUrl, restUrl) => fromCcxt({ ...options, types: [...options.types], wsUrl, restUrl }));
      assert.deepEqual(raw.map((r) => r.kind), [...Array.from({ length: 6 }, () => ['markPrice', 'fundingRate']).flat(), 'liquidation', 'liquidation']);
      assert.deepEqual(viaCcxt.map(strip), raw.map(strip));
    });
  });
}
