import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Subject, takeUntil, toArray, lastValueFrom, type Observable } from 'rxjs';
import { fromBinanceLive } from '../../../connectors/binance-live/from-binance-live.js';
import { fromCcxt } from '../../../connectors/binance-live/from-ccxt.js';
import { exchangeInfoFromCapture, feedFromCapture } from '../../../connectors/binance-replay/replay-feed.js';
import { startReplayServer, type ReplayServer } from '../../../connectors/binance-replay/replay-server.js';
import type { AnyRecord, KlineRecord } from '../../../schemas/records.js';
import { realFixtureText } from '../../support/fixtures.js';

const servers: ReplayServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

const CASES = [
  { market: 'spot', prefix: 'BINANCE', symbols: ['NKNUSDT', 'LRCBTC'] },
  { market: 'um', prefix: 'BINANCE_FUTURES', symbols: ['SUSHIUSDT', 'CTKUSDT'] },
] as const;

/** Replays the capture once into `source(wsUrl, restUrl)` and returns its records. */
async function replayInto(c: (typeof CASES)[number], source: (wsUrl: string, restUrl: string) => Observable<AnyRecord>): Promise<AnyRecord[]> {
  const info = c.market === 'um' ? exchangeInfoFromCapture(realFixtureText('BINANCE_FUTURES.0')) : undefined;
  const feed = feedFromCapture(c.market, realFixtureText(`${c.prefix}.ws.1.0`), realFixtureText(`${c.prefix}.http.0.0`), info);
  const server = await startReplayServer({ feed, speed: 60, autoPlay: false });
  servers.push(server);
  const stop = new Subject<void>();
  const records = lastValueFrom(source(server.wsUrl, server.restUrl).pipe(takeUntil(stop), toArray()));
  await server.waitForSubscribers(c.symbols.flatMap((s) => [`${s.toLowerCase()}@aggTrade`, `${s.toLowerCase()}@kline_1m`, `${s.toLowerCase()}@depth`]));
  await new Promise((resolve) => setTimeout(resolve, 100)); // let the subscription acks land (ccxt fetches its snapshot on them)
  server.play();
  await server.finished;
  await new Promise((resolve) => setTimeout(resolve, 300));
  stop.next();
  const out = await records;
  await server.close();
  return out;
}

/** The same capture replayed into the raw source, then into the ccxt source. */
async function bothPaths(c: (typeof CASES)[number]): Promise<{ raw: AnyRecord[]; viaCcxt: AnyRecord[] }> {
  const types = ['aggTrade', 'kline_1m', 'depth'] as const;
  const options = { market: c.market, symbols: c.symbols, types: [...types] };
  const raw = await replayInto(c, (wsUrl, restUrl) => fromBinanceLive({ ...options, wsUrl, restUrl }));
  const viaCcxt = await replayInto(c, (wsUrl, restUrl) => fromCcxt({ ...options, wsUrl, restUrl }));
  return { raw, viaCcxt };
}

const strip = (r: AnyRecord): Record<string, unknown> => {
  const { receiveTimeUs: _r, version: _v, ingestId: _i, ...rest } = r as AnyRecord & Record<string, unknown>;
  return rest;
};

/** The book after applying snapshot + diffs, per symbol: price → qty for each side, and the last update id. */
function books(records: AnyRecord[]): Map<string, { bids: Map<number, number>; asks: Map<number, number>; lastId: number }> {
  const out = new Map<string, { bids: Map<number, number>; asks: Map<number, number>; lastId: number }>();
  for (const r of records) {
    if (r.kind !== 'bookSnapshot' && r.kind !== 'depthUpdate') continue;
    if (r.kind === 'bookSnapshot') out.set(r.symbol, { bids: new Map(), asks: new Map(), lastId: 0 });
    const book = out.get(r.symbol);
    if (book === undefined) continue;
    r.bidPrices.forEach((p, i) => (r.bidQtys[i] === 0 ? book.bids.delete(p) : book.bids.set(p, r.bidQtys[i])));
    r.askPrices.forEach((p, i) => (r.askQtys[i] === 0 ? book.asks.delete(p) : book.asks.set(p, r.askQtys[i])));
    book.lastId = r.finalUpdateId;
  }
  return out;
}

/** The last values per kline open time. */
function lastKlines(records: AnyRecord[]): Map<string, KlineRecord> {
  const out = new Map<string, KlineRecord>();
  for (const r of records) if (r.kind === 'kline') out.set(`${r.symbol}/${r.openTimeUs}`, r);
  return out;
}

for (const c of CASES) {
  describe(`ccxt source vs raw source on the replayed ${c.market} capture`, () => {
    let result: Promise<{ raw: AnyRecord[]; viaCcxt: AnyRecord[] }> | undefined;
    const run = (): Promise<{ raw: AnyRecord[]; viaCcxt: AnyRecord[] }> => (result ??= bothPaths(c));

    it('watchTrades (aggTrade) yields the same aggTrade records as the raw path', { timeout: 30_000 }, async () => {
      const { raw, viaCcxt } = await run();
      const bySymbolThenId = (a: AnyRecord, b: AnyRecord): number => (a.kind === 'aggTrade' && b.kind === 'aggTrade' ? a.symbol.localeCompare(b.symbol) || a.aggTradeId - b.aggTradeId : 0);
      const rawTrades = raw.filter((r) => r.kind === 'aggTrade').map(strip);
      assert.ok(rawTrades.length > 0);
      const ccxtTrades = viaCcxt.filter((r) => r.kind === 'aggTrade');
      for (const symbol of c.symbols) {
        const idsOf = ccxtTrades.flatMap((r) => (r.kind === 'aggTrade' && r.symbol === symbol ? [r.aggTradeId] : []));
        assert.deepEqual(idsOf, [...idsOf].sort((a, b) => a - b), `${symbol}: ccxt output is in id order`);
      }
      assert.deepEqual([...ccxtTrades].sort(bySymbolThenId).map(strip), raw.filter((r) => r.kind === 'aggTrade').sort(bySymbolThenId).map(strip));
    });

    it('watchOrderBook builds the same book as the raw snapshot + diff records, up to the same last update id', { timeout: 30_000 }, async () => {
      const { raw, viaCcxt } = await run();
      const rawBooks = books(raw);
      const ccxtBooks = books(viaCcxt);
      for (const symbol of c.symbols) {
        const a = rawBooks.get(symbol);
        const b = ccxtBooks.get(symbol);
        assert.ok(a !== undefined && b !== undefined, symbol);
        assert.equal(b.lastId, a.lastId, symbol);
        // ccxt trims far levels that diffs add beyond its snapshot depth; the top of the book must agree.
        const top = (side: Map<number, number>, dir: number): number[][] => [...side].sort((x, y) => dir * (x[0] - y[0])).slice(0, 200);
        assert.deepEqual(top(b.bids, -1), top(a.bids, -1), `${symbol} bids`);
        assert.deepEqual(top(b.asks, 1), top(a.asks, 1), `${symbol} asks`);
      }
      const lastDiffId = Math.max(...raw.flatMap((r) => (r.kind === 'depthUpdate' && r.symbol === c.symbols[0] ? [r.finalUpdateId] : [])));
      assert.equal(ccxtBooks.get(c.symbols[0])?.lastId, lastDiffId, 'both books reached the last diff of the capture');
    });

    it('watchOHLCV yields the same candles (open time, OHLC, volume) with the fields ccxt lacks set to null', { timeout: 30_000 }, async () => {
      const { raw, viaCcxt } = await run();
      const rawK = lastKlines(raw);
      const ccxtK = lastKlines(viaCcxt);
      assert.ok(rawK.size > 0);
      assert.deepEqual([...ccxtK.keys()].sort(), [...rawK.keys()].sort());
      for (const [key, r] of rawK) {
        const k = ccxtK.get(key)!;
        assert.deepEqual([k.open, k.high, k.low, k.close, k.volume, k.closeTimeUs, k.interval], [r.open, r.high, r.low, r.close, r.volume, r.closeTimeUs, r.interval], key);
        assert.equal(k.tradeCount, null);
        assert.equal(k.quoteVolume, null);
      }
    });
  });
}
