/**
 * Stream names and connection URLs of docs/BINANCE.md §4: combined streams with lowercase symbols,
 * the USD-M `/public` vs `/market` routing (legacy unrouted URLs retired 2026-04-23), and the per-connection
 * stream limits (spot 1024, futures 200).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { liveStream, parseLiveStreamType, planConnections, type LiveStreamType } from '../../../connectors/binance-live/live-streams.js';
import { ConfigError } from '../../../schemas/errors.js';

const ALL: LiveStreamType[] = ['trade', 'aggTrade', 'kline_1m', 'bookTicker', 'depth', 'markPrice', 'forceOrder'];

describe('live stream names and connections', () => {
  it('names streams with lowercase symbols: depth@100ms diffs, markPrice@1s, kline_<i> with the API interval spelling', () => {
    assert.deepEqual(ALL.map((t) => liveStream(t, 'BTCUSD_PERP').name), [
      'btcusd_perp@trade', 'btcusd_perp@aggTrade', 'btcusd_perp@kline_1m', 'btcusd_perp@bookTicker', 'btcusd_perp@depth@100ms',
      'btcusd_perp@markPrice@1s', 'btcusd_perp@forceOrder',
    ]);
    assert.equal(liveStream(parseLiveStreamType('klines:1M', 'um'), 'btcusdt').name, 'btcusdt@kline_1M');
    assert.equal(liveStream('depth', 'btcusdt').symbol, 'BTCUSDT');
  });

  it('routes USD-M depth, bookTicker and trade to /public and aggTrade, kline, markPrice, forceOrder to /market, as combined streams', () => {
    const plans = planConnections('um', ALL.map((t) => liveStream(t, 'BTCUSDT')), 'wss://fstream.binance.com');
    assert.deepEqual(plans.map((p) => p.url).sort(), [
      'wss://fstream.binance.com/market/stream?streams=btcusdt@aggTrade/btcusdt@kline_1m/btcusdt@markPrice@1s/btcusdt@forceOrder',
      'wss://fstream.binance.com/public/stream?streams=btcusdt@trade/btcusdt@bookTicker/btcusdt@depth@100ms',
    ]);
  });

  it('keeps spot and COIN-M on one unrouted combined-stream connection', () => {
    const spot = planConnections('spot', ['trade', 'aggTrade', 'kline_1s', 'bookTicker', 'depth'].map((t) => liveStream(t as LiveStreamType, 'NKNUSDT')));
    assert.deepEqual(spot.map((p) => p.url), ['wss://stream.binance.com:9443/stream?streams=nknusdt@trade/nknusdt@aggTrade/nknusdt@kline_1s/nknusdt@bookTicker/nknusdt@depth@100ms']);
    const cm = planConnections('cm', ['markPrice', 'forceOrder', 'depth'].map((t) => liveStream(t as LiveStreamType, 'BTCUSD_PERP')), 'ws://127.0.0.1:9/');
    assert.deepEqual(cm.map((p) => p.url), ['ws://127.0.0.1:9/stream?streams=btcusd_perp@markPrice@1s/btcusd_perp@forceOrder/btcusd_perp@depth@100ms']);
  });

  it('splits at 1024 streams per spot connection and 200 per futures connection', () => {
    const symbols = Array.from({ length: 1100 }, (_, i) => `S${i}USDT`);
    assert.deepEqual(planConnections('spot', symbols.map((s) => liveStream('aggTrade', s))).map((p) => p.streams.length), [1024, 76]);
    assert.deepEqual(planConnections('cm', symbols.slice(0, 450).map((s) => liveStream('aggTrade', s))).map((p) => p.streams.length), [200, 200, 50]);
    const um = planConnections('um', symbols.slice(0, 201).flatMap((s) => [liveStream('depth', s), liveStream('kline_1m', s)]));
    assert.deepEqual(um.map((p) => `${new URL(p.url.replace(/^wss/, 'https')).pathname}:${p.streams.length}`), ['/public/stream:200', '/public/stream:1', '/market/stream:200', '/market/stream:1']);
  });

  it('rejects futures-only streams on spot and unknown kline intervals', () => {
    assert.throws(() => parseLiveStreamType('markPrice', 'spot'), (e: unknown) => e instanceof ConfigError && /futures only/.test(e.message));
    assert.throws(() => parseLiveStreamType('forceOrder', 'spot'), ConfigError);
    assert.throws(() => parseLiveStreamType('klines:1mo', 'um'), /unknown kline interval/);
    assert.equal(parseLiveStreamType('fundingRate', 'um'), 'markPrice');
  });
});
