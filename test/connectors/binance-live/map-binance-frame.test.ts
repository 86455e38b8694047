import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapBinanceFrame } from '../../../connectors/binance-live/map-binance-frame.js';
import { parseWsCapture } from '../../../connectors/binance-replay/capture-file.js';
import { formatDecimal } from '../../../schemas/decimal.js';
import type { AnyRecord } from '../../../schemas/records.js';
import { KINDS } from '../../../schemas/records.js';
import { realFixtureText } from '../../support/fixtures.js';

const RECEIVE_MS = 1_700_000_000_123;

function only(raw: string, market: 'spot' | 'um' | 'cm'): AnyRecord[] {
  const decoded = mapBinanceFrame(raw, market, RECEIVE_MS);
  assert.equal(decoded.type, 'records');
  return decoded.type === 'records' ? decoded.records : [];
}

function crawler(srcLine: number): string {
  const line = realFixtureText('crypto-crawler-rs_msg-parser_binance_raw_msgs.jsonl').split('\n')
    .map((l) => (l.trim() === '' ? null : JSON.parse(l) as { src_line: number; raw: string }))
    .find((l) => l?.src_line === srcLine);
  assert.ok(line, `crawler line ${srcLine}`);
  return line.raw;
}

function assertComplete(record: AnyRecord): void {
  const fields = KINDS[record.kind].fields.map((f) => f.name);
  for (const name of fields) assert.notEqual((record as Record<string, unknown>)[name], undefined, `${record.kind}.${name}`);
  assert.deepEqual(Object.keys(record).filter((k) => k !== 'kind').sort(), [...fields].sort());
}

describe('mapBinanceFrame on real captured frames', () => {
  const spot = parseWsCapture(realFixtureText('BINANCE.ws.1.0')).frames;
  const um = parseWsCapture(realFixtureText('BINANCE_FUTURES.ws.1.0')).frames;

  it('decodes every frame of the spot and USD-M captures into complete records with no dead letters', () => {
    for (const [market, frames] of [['spot', spot], ['um', um]] as const) {
      for (const frame of frames) {
        for (const record of only(frame.raw, market)) {
          assert.notEqual(record.kind, 'deadLetter', frame.raw);
          assertComplete(record);
        }
      }
    }
  });

  it('maps a spot aggTrade with its best-match flag and prices that print back to the same decimal', () => {
    const raw = spot.find((f) => f.raw.includes('"a":15683430'))!.raw;
    const [trade] = only(raw, 'spot');
    assert.equal(trade.kind, 'aggTrade');
    if (trade.kind !== 'aggTrade') return;
    assert.equal(trade.aggTradeId, 15683430);
    assert.equal(formatDecimal(trade.price), '0.3528');
    assert.equal(trade.qty, 58);
    assert.equal(trade.isBestMatch, true);
    assert.equal(trade.eventTimeUs, 1633998523963000);
    assert.equal(trade.ingestId, 'ws:nknusdt@aggTrade');
    assert.equal(trade.receiveTimeUs, RECEIVE_MS * 1000);
  });

  it('gives a spot bookTicker, which has no event time, the receive time and a null transaction time', () => {
    const raw = spot.find((f) => f.raw.includes('@bookTicker'))!.raw;
    const [ticker] = only(raw, 'spot');
    assert.equal(ticker.kind, 'bookTicker');
    assert.equal(ticker.eventTimeUs, RECEIVE_MS * 1000);
    if (ticker.kind === 'bookTicker') assert.equal(ticker.transactionTimeUs, null);
  });

  it('keeps the USD-M depth chain fields pu and T, and has no best-match flag on futures aggTrades', () => {
    const [depth] = only(um.find((f) => f.raw.includes('depthUpdate'))!.raw, 'um');
    assert.equal(depth.kind, 'depthUpdate');
    if (depth.kind === 'depthUpdate') {
      assert.equal(depth.prevFinalUpdateId, 600859598061);
      assert.equal(depth.transactionTimeUs, 1626992741024000);
      assert.deepEqual(depth.bidQtys, [813, 0, 2]);
    }
    const [agg] = only(um.find((f) => f.raw.includes('aggTrade'))!.raw, 'um');
    if (agg.kind === 'aggTrade') assert.equal(agg.isBestMatch, null);
  });

  it('gives an open kline the open-ws version, below a closed one received at the same time', () => {
    const raw = um.find((f) => f.raw.includes('"e":"kline"'))!.raw;
    const [open] = only(raw, 'um');
    const [closed] = only(raw.replace('"x":false', '"x":true'), 'um');
    assert.equal(open.kind, 'kline');
    if (open.kind !== 'kline' || closed.kind !== 'kline') return;
    assert.equal(open.isClosed, false);
    assert.ok(closed.version > open.version);
    assert.equal(open.eventTimeUs, open.openTimeUs);
  });

  it('maps COIN-M quantities to contracts and leaves base-asset fields null', () => {
    const [agg] = only(crawler(93), 'cm');
    assert.equal(agg.kind, 'aggTrade');
    if (agg.kind === 'aggTrade') { assert.equal(agg.contracts, 58); assert.equal(agg.qty, null); }
  });

  it('maps a USD-M markPrice update to a mark price and a live funding-rate estimate', () => {
    const records = only(crawler(242), 'um');
    assert.deepEqual(records.map((r) => r.kind), ['markPrice', 'fundingRate']);
    const [mark, funding] = records;
    if (mark.kind === 'markPrice') assert.equal(mark.indexPrice, 58857.26693664);
    if (funding.kind === 'fundingRate') {
      assert.equal(funding.fundingRate, 0.00058455);
      assert.equal(funding.fundingTimeUs, 1617321600000000);
      assert.ok(funding.version < mark.version, 'an estimate ranks below final ws data');
    }
  });

  it('maps a COIN-M markPrice without index price to a null index price', () => {
    const [mark] = only(crawler(171), 'cm');
    if (mark.kind === 'markPrice') assert.equal(mark.indexPrice, null);
  });

  it('maps every element of an all-market markPrice array', () => {
    const records = only(crawler(275), 'um');
    assert.ok(records.filter((r) => r.kind === 'markPrice').length >= 2);
  });

  it('maps a forceOrder to a liquidation at the order trade time', () => {
    const raw = '{"stream":"!forceOrder@arr","data":{"e":"forceOrder","E":1634653599186,"o":{"s":"IOTXUSDT","S":"SELL","o":"LIMIT","f":"IOC","q":"3661","p":"0.06606","ap":"0.06669","X":"FILLED","l":"962","z":"3661","T":1634653599180}}}';
    const [liq] = only(raw, 'um');
    assert.equal(liq.kind, 'liquidation');
    if (liq.kind !== 'liquidation') return;
    assert.equal(liq.eventTimeUs, 1634653599180000);
    assert.equal(liq.side, 'SELL');
    assert.equal(liq.lastFilledQty, 962);
    assertComplete(liq);
  });

  it('turns a malformed frame into a dead letter carrying the raw text', () => {
    const [dead] = only('{"stream":"btcusdt@trade","data":{"e":"trade","s":"BTCUSDT","t":"x"}}', 'spot');
    assert.equal(dead.kind, 'deadLetter');
    if (dead.kind === 'deadLetter') { assert.match(dead.raw, /"t":"x"/); assert.equal(dead.errorName, 'DecodeError'); }
    const [notJson] = only('{"stream":', 'spot');
    assert.equal(notJson.kind, 'deadLetter');
  });

  it('recognises a serverShutdown notice, raw or on the combined stream', () => {
    assert.deepEqual(mapBinanceFrame('{"e":"serverShutdown","E":1700000000000}', 'spot', RECEIVE_MS), { type: 'shutdown', eventTimeMs: 1700000000000 });
    assert.deepEqual(mapBinanceFrame('{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":5}}', 'um', RECEIVE_MS), { type: 'shutdown', eventTimeMs: 5 });
  });

  it('recognises subscription replies and ignores partial-depth snapshots and tickers', () => {
    assert.deepEqual(mapBinanceFrame('{"result":null,"id":3}', 'spot', RECEIVE_MS), { type: 'reply', id: 3, error: null });
    assert.deepEqual(only(crawler(580), 'spot'), []);
    assert.deepEqual(only(crawler(630), 'cm'), []);
    assert.deepEqual(only(crawler(1062), 'spot'), []);
  });
});
