import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { liveStream } from '../../../connectors/binance-live/live-streams.js';
import { mapBinanceFrame } from '../../../connectors/binance-live/map-binance-frame.js';
import { StreamTracker } from '../../../connectors/binance-live/stream-tracker.js';
import { parseWsCapture } from '../../../connectors/binance-replay/capture-file.js';
import type { AggTradeRecord, AnyRecord, KlineRecord } from '../../../schemas/records.js';
import { realFixtureText } from '../../support/fixtures.js';

const all: AnyRecord[] = parseWsCapture(realFixtureText('BINANCE_FUTURES.ws.1.0')).frames.flatMap((f) => {
  const d = mapBinanceFrame(f.raw, 'um', f.receiveMs);
  return d.type === 'records' ? d.records : [];
});
const trades = all.filter((r): r is AggTradeRecord => r.kind === 'aggTrade' && r.symbol === 'SUSHIUSDT');
const klines = all.filter((r): r is KlineRecord => r.kind === 'kline' && r.symbol === 'CTKUSDT');

describe('StreamTracker', () => {
  it('emits consecutive ids and drops ids it already emitted (an overlap)', () => {
    const tracker = new StreamTracker(liveStream('aggTrade', 'SUSHIUSDT'));
    const out = [...trades, ...trades.slice(0, 3)].flatMap((r) => tracker.accept(r).emit);
    assert.deepEqual(out, trades);
    assert.equal(tracker.duplicatesDropped, 3);
  });

  it('reports an id hole and holds later records until the repair ends', () => {
    const tracker = new StreamTracker(liveStream('aggTrade', 'SUSHIUSDT'));
    tracker.accept(trades[0]);
    const step = tracker.accept(trades[3]);
    assert.deepEqual(step.hole, { fromId: trades[1].aggTradeId, toId: trades[2].aggTradeId, fromUs: trades[0].eventTimeUs + 1, toUs: trades[3].eventTimeUs });
    assert.deepEqual(tracker.accept(trades[4]).emit, []);
    assert.equal(tracker.firstPendingId(), trades[3].aggTradeId);
    tracker.note(trades[1]); tracker.note(trades[2]);
    const released = tracker.endRepair().flatMap((r) => tracker.accept(r).emit);
    assert.deepEqual(released, [trades[3], trades[4]]);
  });

  it('keeps kline updates of the current candle and drops an earlier candle arriving late', () => {
    const tracker = new StreamTracker(liveStream('kline_1m', 'CTKUSDT'));
    const first = klines[0];
    const later = { ...first, openTimeUs: first.openTimeUs + 60_000_000 };
    assert.deepEqual(tracker.accept(first).emit, [first]);
    assert.deepEqual(tracker.accept(first).emit, [first], 'an update of the same candle passes');
    assert.deepEqual(tracker.accept(later).emit, [later]);
    assert.deepEqual(tracker.accept(first).emit, []);
    assert.equal(tracker.duplicatesDropped, 1);
  });

  it('drops repeated bookTicker update ids but passes new ones', () => {
    const tickers = all.filter((r) => r.kind === 'bookTicker' && r.symbol === 'SUSHIUSDT');
    const tracker = new StreamTracker(liveStream('bookTicker', 'SUSHIUSDT'));
    const out = [...tickers.slice(0, 10), ...tickers.slice(5, 10)].flatMap((r) => tracker.accept(r).emit);
    assert.equal(out.length, 10);
  });
});
