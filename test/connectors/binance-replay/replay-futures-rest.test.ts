import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { feedFromCapture } from '../../../connectors/binance-replay/replay-feed.js';
import { startReplayServer, type ReplayServer } from '../../../connectors/binance-replay/replay-server.js';
import { markPriceSeconds, wsCaptureText } from '../binance-live/futures-capture.js';

const servers: ReplayServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

const FUNDING_MS = 1617321600000;

async function played(market: 'um' | 'cm', frames: ReturnType<typeof markPriceSeconds>): Promise<ReplayServer> {
  const server = await startReplayServer({ feed: feedFromCapture(market, wsCaptureText('wss://fstream.binance.com/stream?streams=x', frames)), speed: Infinity });
  servers.push(server);
  server.play();
  await server.finished;
  return server;
}

describe('replay server premiumIndex from the played mark prices', () => {
  it('answers USD-M /fapi/v1/premiumIndex?symbol= with one object of the latest mark price', async () => {
    const server = await played('um', markPriceSeconds('btcusdt@markPrice@1s', { s: 'BTCUSDT', withIndex: true, fundingMs: FUNDING_MS, ratesE8: [58959, 61200] }, FUNDING_MS - 1998, 2));
    const body = await (await fetch(`${server.restUrl}/fapi/v1/premiumIndex?symbol=BTCUSDT`)).json() as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['symbol', 'markPrice', 'indexPrice', 'estimatedSettlePrice', 'lastFundingRate', 'interestRate', 'nextFundingTime', 'time']);
    assert.deepEqual([body.symbol, body.markPrice, body.lastFundingRate, body.nextFundingTime, body.time], ['BTCUSDT', '58940.88029532', '0.00061200', FUNDING_MS, FUNDING_MS - 998]);
  });

  it('answers COIN-M /dapi/v1/premiumIndex with a list carrying the pair, also for one symbol, and empty funding fields for a delivery contract', async () => {
    const perp = markPriceSeconds('btcusd_perp@markPrice@1s', { s: 'BTCUSD_PERP', withIndex: true, fundingMs: FUNDING_MS, ratesE8: [73684] }, FUNDING_MS - 1998, 1);
    const delivery = markPriceSeconds('btcusd_210625@markPrice@1s', { s: 'BTCUSD_210625', withIndex: true, fundingMs: null, ratesE8: [] }, FUNDING_MS - 1500, 1);
    const server = await played('cm', [...perp, ...delivery]);
    const one = await (await fetch(`${server.restUrl}/dapi/v1/premiumIndex?symbol=BTCUSD_PERP`)).json() as Record<string, unknown>[];
    assert.ok(Array.isArray(one));
    assert.deepEqual(one.map((r) => [r.symbol, r.pair, r.lastFundingRate, r.interestRate, r.nextFundingTime]), [['BTCUSD_PERP', 'BTCUSD', '0.00073684', '0.00010000', FUNDING_MS]]);
    const all = await (await fetch(`${server.restUrl}/dapi/v1/premiumIndex`)).json() as Record<string, unknown>[];
    assert.deepEqual(all.map((r) => [r.symbol, r.pair, r.lastFundingRate, r.interestRate, r.nextFundingTime]), [
      ['BTCUSD_PERP', 'BTCUSD', '0.00073684', '0.00010000', FUNDING_MS], ['BTCUSD_210625', 'BTCUSD', '', '', 0],
    ]);
  });
});
