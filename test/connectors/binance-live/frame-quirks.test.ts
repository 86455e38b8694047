/**
 * The WebSocket and REST payload quirks of docs/BINANCE.md §4 and Appendix B, through mapBinanceFrame and
 * the REST mappers: combined and raw frames, control replies and errors, spot vs USD-M vs COIN-M field
 * differences, µs frames, partial depth, and REST snapshots and rows of the three markets.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapBinanceFrame } from '../../../connectors/binance-live/map-binance-frame.js';
import { mapBinanceDepthSnapshot } from '../../../connectors/binance-live/map-binance-book.js';
import { mapBinanceRestKline } from '../../../connectors/binance-live/map-binance-kline.js';
import { mapBinanceRestAggTrade, mapBinanceRestTrade } from '../../../connectors/binance-live/map-binance-trade.js';
import { mapCcxtOhlcv } from '../../../connectors/binance-live/map-ccxt.js';
import type { FrameContext } from '../../../connectors/binance-live/live-context.js';
import type { AnyRecord } from '../../../schemas/records.js';
import { KINDS } from '../../../schemas/records.js';
import { realFixtureText } from '../../support/fixtures.js';

const RECEIVE_MS = 1_700_000_000_123;

function records(raw: string, market: 'spot' | 'um' | 'cm'): AnyRecord[] {
  const decoded = mapBinanceFrame(raw, market, RECEIVE_MS);
  assert.equal(decoded.type, 'records', raw);
  const out = decoded.type === 'records' ? decoded.records : [];
  for (const record of out) {
    assert.notEqual(record.kind, 'deadLetter', record.kind === 'deadLetter' ? record.reason : '');
    const fields = KINDS[record.kind].fields.map((f) => f.name);
    assert.deepEqual(Object.keys(record).filter((k) => k !== 'kind').sort(), [...fields].sort(), `${record.kind} has exactly its fields`);
  }
  return out;
}

function crawler(srcLine: number): string {
  for (const line of realFixtureText('crypto-crawler-rs_msg-parser_binance_raw_msgs.jsonl').split('\n')) {
    if (line.trim() === '') continue;
    const parsed = JSON.parse(line) as { src_line: number; raw: string };
    if (parsed.src_line === srcLine) return parsed.raw;
  }
  throw new Error(`crawler line ${srcLine} missing`);
}

/** The `data` of a combined-stream frame, as the raw `/ws/<stream>` endpoint sends it. */
const unwrapped = (raw: string): string => JSON.stringify((JSON.parse(raw) as { data: unknown }).data);

describe('control frames (§4.1)', () => {
  it('recognises every documented reply: SUBSCRIBE/UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET/GET_PROPERTY', () => {
    assert.deepEqual(mapBinanceFrame('{"result":null,"id":312}', 'spot', RECEIVE_MS), { type: 'reply', id: 312, error: null });
    assert.deepEqual(mapBinanceFrame('{"result":["btcusdt@aggTrade"],"id":3}', 'spot', RECEIVE_MS), { type: 'reply', id: 3, error: null });
    assert.deepEqual(mapBinanceFrame('{"result":true,"id":2}', 'um', RECEIVE_MS), { type: 'reply', id: 2, error: null });
    assert.deepEqual(mapBinanceFrame('{"result":null,"id":"abc123"}', 'cm', RECEIVE_MS), { type: 'reply', id: 'abc123', error: null });
  });

  it('reports error replies with their code and message, with or without an id', () => {
    assert.deepEqual(mapBinanceFrame('{"code": 2, "msg": "Invalid request: property name must be a string"}', 'spot', RECEIVE_MS),
      { type: 'reply', id: null, error: '2: Invalid request: property name must be a string' });
    assert.deepEqual(mapBinanceFrame('{"code":3,"msg":"Invalid JSON: expected value at line 1 column 1"}', 'um', RECEIVE_MS),
      { type: 'reply', id: null, error: '3: Invalid JSON: expected value at line 1 column 1' });
    assert.deepEqual(mapBinanceFrame('{"code":0,"msg":"Unknown property","id":5}', 'spot', RECEIVE_MS), { type: 'reply', id: 5, error: '0: Unknown property' });
  });

  it('reports an error reply nested under "error" (what ccxt routes to handleWsError) as an error, not a success', () => {
    assert.deepEqual(mapBinanceFrame('{"error":{"code":2,"msg":"Invalid request: unknown variant `SUBSCRIB`"},"id":1}', 'spot', RECEIVE_MS),
      { type: 'reply', id: 1, error: '2: Invalid request: unknown variant `SUBSCRIB`' });
  });
});

describe('raw and combined frames (§4.1, Appendix B)', () => {
  it('maps a frame of a raw /ws stream exactly like the same payload in a combined-stream envelope', () => {
    for (const [line, market] of [[14, 'spot'], [93, 'cm'], [1241, 'spot'], [242, 'um'], [986, 'cm'], [518, 'cm']] as const) {
      const wrapped = records(crawler(line), market);
      const raw = records(unwrapped(crawler(line)), market);
      assert.equal(raw.length, wrapped.length, `crawler ${line}`);
      assert.deepEqual(raw.map((r) => ({ ...r, ingestId: '' })), wrapped.map((r) => ({ ...r, ingestId: '' })), `crawler ${line}`);
    }
  });

  it('maps every element of an all-market markPrice array sent bare on a raw /ws/!markPrice@arr stream', () => {
    const bare = unwrapped(crawler(204));
    assert.ok(bare.startsWith('['));
    const out = records(bare, 'cm');
    assert.deepEqual(out.map((r) => `${r.kind}:${r.symbol}`), ['markPrice:BTCUSD_PERP', 'fundingRate:BTCUSD_PERP', 'markPrice:ETHUSD_PERP', 'fundingRate:ETHUSD_PERP']);
  });

  it('maps a raw spot bookTicker (no e, E or T) and the spot !bookTicker stream at the receive time', () => {
    const raw = '{"u":499869768,"s":"NKNUSDT","b":"0.35210000","B":"672.00000000","a":"0.35260000","A":"3199.00000000"}';
    for (const frame of [raw, crawler(882)]) {
      const [ticker] = records(frame, 'spot');
      assert.ok(ticker?.kind === 'bookTicker');
      assert.deepEqual([ticker.eventTimeUs, ticker.transactionTimeUs], [RECEIVE_MS * 1000, null]);
    }
  });

  it('ignores a partial-depth snapshot on a raw spot stream (no e, no symbol), tickers and the obsolete options trade_all', () => {
    assert.deepEqual(records(unwrapped(crawler(580)), 'spot'), []);
    for (const [line, market] of [[148, 'um'], [1076, 'spot'], [1107, 'cm'], [1217, 'um']] as const) assert.deepEqual(records(crawler(line), market), [], `crawler ${line}`);
  });
});

describe('spot, USD-M and COIN-M payload differences (§4.1, §4.2)', () => {
  it('maps a spot trade without the buyer/seller order ids removed on 2024-06-18 and an older one with them alike', () => {
    const now = '{"e":"trade","E":1718700000001,"s":"BTCUSDT","t":3600000001,"p":"66000.01000000","q":"0.00100000","T":1718700000000,"m":true,"M":true}';
    const old = now.replace('"T":', '"b":88,"a":50,"T":');
    const [a] = records(now, 'spot');
    const [b] = records(old, 'spot');
    assert.deepEqual(a, b);
    assert.ok(a?.kind === 'trade');
    assert.deepEqual([a.tradeId, a.qty, a.quoteQty, a.isBuyerMaker, a.isBestMatch, a.eventTimeUs], [3600000001, 0.001, null, true, true, 1718700000000000]);
  });

  it('reads µs times from streams opened with timeUnit=MICROSECOND and ms times otherwise, to the same scale', () => {
    const ms = '{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":1735689600011,"s":"BTCUSDT","a":1,"p":"1.0","q":"1.0","f":1,"l":1,"T":1735689600010,"m":false,"M":true}}';
    const us = ms.replace('"E":1735689600011', '"E":1735689600011002').replace('"T":1735689600010', '"T":1735689600010866');
    const [a] = records(ms, 'spot');
    const [b] = records(us, 'spot');
    assert.deepEqual([a?.eventTimeUs, b?.eventTimeUs], [1735689600010000, 1735689600010866]);
    const kline = crawler(1241).replace('"t":1653818760000', '"t":1653818760000000').replace('"T":1653818819999', '"T":1653818819999999');
    const [k] = records(kline, 'spot');
    assert.ok(k?.kind === 'kline' && k.openTimeUs === 1653818760000000 && k.closeTimeUs === 1653818819999999);
  });

  it('accepts the USD-M aggTrade without M and with the newer nq field; best match is null on futures', () => {
    const frame = '{"e":"aggTrade","E":1626992741575,"a":16599292,"s":"CTKUSDT","p":"1.01100","q":"10","nq":"10","f":23961322,"l":23961322,"T":1626992741421,"m":false}';
    const [agg] = records(frame, 'um');
    assert.ok(agg?.kind === 'aggTrade');
    assert.deepEqual([agg.qty, agg.contracts, agg.isBestMatch, agg.eventTimeUs], [10, null, null, 1626992741421000]);
  });

  it('maps USD-M and COIN-M bookTickers (with e, T, E; COIN-M adds ps) at their event time', () => {
    for (const [line, market, symbol] of [[951, 'um', 'BALUSDT'], [916, 'cm', 'XMRUSD_PERP'], [986, 'cm', 'ETHUSD_PERP'], [1020, 'um', 'ETHUSDT']] as const) {
      const [ticker] = records(crawler(line), market);
      const data = (JSON.parse(crawler(line)) as { data: { E: number; T: number } }).data;
      assert.ok(ticker?.kind === 'bookTicker');
      assert.deepEqual([ticker.symbol, ticker.eventTimeUs, ticker.transactionTimeUs], [symbol, data.E * 1000, data.T * 1000]);
    }
  });

  it('maps COIN-M depth diffs (with ps) keeping pu and T, and spot diffs with null pu and T', () => {
    const [cm] = records(crawler(518), 'cm');
    assert.ok(cm?.kind === 'depthUpdate');
    assert.deepEqual([cm.symbol, cm.firstUpdateId, cm.finalUpdateId, cm.prevFinalUpdateId, cm.transactionTimeUs], ['BTCUSD_PERP', 127559587191, 127559588177, 127559587113, 1622370862553000]);
    assert.deepEqual(cm.bidQtys, [1400, 561]);
    const [spot] = records(crawler(321), 'spot');
    assert.ok(spot?.kind === 'depthUpdate');
    assert.deepEqual([spot.prevFinalUpdateId, spot.transactionTimeUs, spot.bidQtys[0]], [null, null, 0]);
  });

  it('ignores futures partial depth (depthUpdate-shaped, pu may be -1) on @depth5/@depth20 streams', () => {
    for (const [line, market] of [[630, 'cm'], [681, 'um'], [732, 'cm'], [783, 'cm'], [823, 'um']] as const) assert.deepEqual(records(crawler(line), market), [], `crawler ${line}`);
  });

  it('maps COIN-M kline volumes to contracts (v, V) and base volume (q, Q), for perpetual and delivery symbols', () => {
    for (const line of [1340, 1274]) {
      const [k] = records(crawler(line), 'cm');
      const data = (JSON.parse(crawler(line)) as { data: { k: Record<string, string> } }).data.k;
      assert.ok(k?.kind === 'kline');
      assert.deepEqual([k.contracts, k.baseVolume, k.takerBuyContracts, k.takerBuyBaseVolume, k.volume, k.quoteVolume, k.takerBuyVolume, k.takerBuyQuoteVolume],
        [Number(data.v), Number(data.q), Number(data.V), Number(data.Q), null, null, null, null]);
    }
    const [um] = records(crawler(1373), 'um');
    assert.ok(um?.kind === 'kline');
    assert.deepEqual([um.interval, um.volume, um.quoteVolume, um.contracts], ['1M', 13431981.671, 423075730671.12853, null]);
  });

  it('maps a kline from a @kline_1m@+08:00 stream by its payload (interval 1m, UTC times)', () => {
    const frame = crawler(1241).replace('"stream":"btcusdt@kline_1m"', '"stream":"btcusdt@kline_1m@+08:00"');
    const [k] = records(frame, 'spot');
    assert.ok(k?.kind === 'kline' && k.interval === '1m' && k.openTimeUs === 1653818760000000);
  });

  it('gives a COIN-M markPrice without i a null index price, and a delivery contract (r "", T 0) no funding record', () => {
    const perpetual = records(crawler(171), 'cm');
    assert.deepEqual(perpetual.map((r) => r.kind), ['markPrice', 'fundingRate']);
    assert.ok(perpetual[0]?.kind === 'markPrice' && perpetual[0].indexPrice === null && perpetual[0].estimatedSettlePrice === 58896.00503145);
    const delivery = '{"stream":"btcusd_260626@markPrice","data":{"e":"markPriceUpdate","E":1775001600000,"s":"BTCUSD_260626","p":"84012.30000000","P":"84001.10000000","r":"","T":0}}';
    const [mark, ...rest] = records(delivery, 'cm');
    assert.deepEqual(rest, []);
    assert.ok(mark?.kind === 'markPrice');
    assert.deepEqual([mark.fundingRate, mark.nextFundingTimeUs, mark.markPrice], [null, null, 84012.3]);
  });

  it('maps a COIN-M forceOrder (o.ps added, quantities in contracts) like a USD-M one', () => {
    const frame = '{"e":"forceOrder","E":1688169600200,"o":{"s":"BTCUSD_PERP","ps":"BTCUSD","S":"SELL","o":"LIMIT","f":"IOC","q":"5","p":"30500.1","ap":"30480.5","X":"FILLED","l":"5","z":"5","T":1688169600123}}';
    const [liq] = records(frame, 'cm');
    assert.ok(liq?.kind === 'liquidation');
    assert.deepEqual([liq.symbol, liq.side, liq.origQty, liq.lastFilledQty, liq.eventTimeUs], ['BTCUSD_PERP', 'SELL', 5, 5, 1688169600123000]);
  });
});

describe('REST payloads (§4.3, Appendix B)', () => {
  const context = (market: 'spot' | 'um' | 'cm'): FrameContext => ({ market, receiveMs: RECEIVE_MS, ingestId: 'rest:/depth' });

  it('maps depth snapshots of the three markets: spot without E/T at the receive time, futures at E with T, COIN-M with symbol and pair', () => {
    const spot = mapBinanceDepthSnapshot(JSON.parse(crawler(1413)) as Record<string, unknown>, 'BTCUSDT', context('spot'));
    assert.deepEqual([spot.finalUpdateId, spot.eventTimeUs, spot.transactionTimeUs, spot.bidPrices.length], [19689626134, RECEIVE_MS * 1000, null, 3]);
    const cm = mapBinanceDepthSnapshot(JSON.parse(crawler(1428)) as Record<string, unknown>, 'BTCUSD_220624', context('cm'));
    assert.deepEqual([cm.finalUpdateId, cm.eventTimeUs, cm.transactionTimeUs, cm.bidQtys[0]], [466364745366, 1654222838718000, 1654222838710000, 827]);
    const um = mapBinanceDepthSnapshot(JSON.parse(crawler(1445)) as Record<string, unknown>, 'BTCUSDT_220624', context('um'));
    assert.deepEqual([um.finalUpdateId, um.eventTimeUs], [1570223094073, 1654231622340000]);
  });

  it('maps 12-element REST kline rows (numbers as strings except times and count), COIN-M volumes as contracts/base', () => {
    const row = [1591256400000, '9653.69440000', '9653.69640000', '9651.38600000', '9651.55200000', '206', 1591256459999, '1986111.15', 159, '177', '1706149.63', '17928899.62484339'];
    const spot = mapBinanceRestKline(row, 'BTCUSDT', '1m', context('spot'));
    assert.deepEqual([spot.openTimeUs, spot.closeTimeUs, spot.volume, spot.quoteVolume, spot.tradeCount, spot.isClosed, spot.source], [1591256400000000, 1591256459999000, 206, 1986111.15, 159, true, 'rest']);
    const cm = mapBinanceRestKline(row, 'BTCUSD_PERP', '1m', context('cm'));
    assert.deepEqual([cm.contracts, cm.baseVolume, cm.takerBuyContracts, cm.takerBuyBaseVolume, cm.volume], [206, 1986111.15, 177, 1706149.63, null]);
  });

  it('maps REST aggTrades ({a,p,q,f,l,T,m,M}) and trades rows, COIN-M trades with qty in contracts and baseQty', () => {
    const agg = mapBinanceRestAggTrade({ a: 26129, p: '0.01633102', q: '4.70443515', f: 27781, l: 27781, T: 1498793709153, m: true, M: true }, 'LTCBTC', context('spot'));
    assert.deepEqual([agg.aggTradeId, agg.qty, agg.isBestMatch, agg.eventTimeUs, agg.source], [26129, 4.70443515, true, 1498793709153000, 'rest']);
    const cm = mapBinanceRestTrade({ id: 28457, price: '9635.0', qty: '1', baseQty: '0.01037883', time: 1591250192508, isBuyerMaker: true }, 'BTCUSD_PERP', context('cm'));
    assert.deepEqual([cm.contracts, cm.baseQty, cm.qty, cm.quoteQty, cm.isBestMatch], [1, 0.01037883, null, null, null]);
    const um = mapBinanceRestTrade({ id: 28457, price: '4.00000100', qty: '12.00000000', quoteQty: '48.00', time: 1499865549590, isBuyerMaker: true }, 'BTCUSDT', context('um'));
    assert.deepEqual([um.qty, um.quoteQty, um.contracts, um.isBestMatch], [12, 48, null, null]);
  });
});

describe('ccxt OHLCV (§5.2)', () => {
  it('takes ccxt watchOHLCV v (the frame v) as contracts on COIN-M and base volume elsewhere, closing one ms before the next open', () => {
    const context = (market: 'um' | 'cm'): FrameContext => ({ market, receiveMs: RECEIVE_MS, ingestId: 'ccxt:ohlcv' });
    const cm = mapCcxtOhlcv([1653818940000, 1786.56, 1789.24, 1785.25, 1788.67, 401601], 'ETHUSD_PERP', '1m', false, context('cm'));
    assert.deepEqual([cm.contracts, cm.volume, cm.baseVolume, cm.closeTimeUs, cm.isClosed], [401601, null, null, 1653818999999000, false]);
    const um = mapCcxtOhlcv([1651363200000, 37614.4, 40071.7, 26631, 29075.5, 13431981.671], 'BTCUSDT', '1M', true, context('um'));
    assert.deepEqual([um.volume, um.contracts, um.closeTimeUs], [13431981.671, null, 1654041599999000]);
  });
});
