import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { from, takeUntil, tap } from 'rxjs';
import { fromBinanceLive, newLiveStats, type LiveStats } from '../../../connectors/binance-live/from-binance-live.js';
import { feedFromCapture } from '../../../connectors/binance-replay/replay-feed.js';
import { startReplayServer, type ReplayServer } from '../../../connectors/binance-replay/replay-server.js';
import type { AnyRecord, FundingRateRecord, GapRecord, LiquidationRecord, MarkPriceRecord } from '../../../schemas/records.js';
import { makeVersion, rankOfVersion } from '../../../schemas/version.js';
import { collectUntil } from './live-harness.js';
import { combined, crawlerFrame, forceOrder, markPriceSeconds, wsCaptureText, type CaptureFrame } from './futures-capture.js';

const servers: ReplayServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

type Payload = Record<string, unknown>;
const FUNDING_MS = 1617321600000; // next funding time in the real 2021-04-01 markPrice frames (2021-04-02 00:00 UTC)
/** Real all-market liquidation frame (docs/BINANCE.md appendix B). */
const IOTX_FORCE_ORDER = '{"stream":"!forceOrder@arr","data":{"e":"forceOrder","E":1634653599186,"o":{"s":"IOTXUSDT","S":"SELL","o":"LIMIT","f":"IOC","q":"3661","p":"0.06606","ap":"0.06669","X":"FILLED","l":"962","z":"3661","T":1634653599180}}}';

const at = (raw: string, delayMs = 5): CaptureFrame => {
  const data = (JSON.parse(raw) as { data: Payload | Payload[] }).data;
  const E = Array.isArray(data) ? data[0].E : data.E;
  return { receiveMs: (E as number) + delayMs, raw };
};

/** USD-M: real @markPrice and !markPrice@arr frames, then 1 s frames across the funding time, one repeated on the 3 s stream. */
function umFrames(): CaptureFrame[] {
  const seconds = markPriceSeconds('btcusdt@markPrice@1s', { s: 'BTCUSDT', withIndex: true, fundingMs: FUNDING_MS, ratesE8: [58959, 59011, 59011, 61200, 10000, 10000] }, FUNDING_MS - 2998, 6);
  const onThreeSecondStream = { receiveMs: seconds[3].receiveMs + 1, raw: seconds[3].raw.replace('"btcusdt@markPrice@1s"', '"btcusdt@markPrice"') };
  const liquidations = [
    forceOrder(FUNDING_MS + 4100, { s: 'BTCUSDT', S: 'BUY', q: '0.014', p: '59120.52', ap: '59101.07', l: '0.010', z: '0.014', T: FUNDING_MS + 4093 }),
    forceOrder(FUNDING_MS + 5300, { s: 'BTCUSDT', S: 'SELL', q: '1.250', p: '58710.00', ap: '58744.31', l: '1.250', z: '1.250', T: FUNDING_MS + 5296 }),
  ].map((data) => at(combined('btcusdt@forceOrder', data)));
  return [at(crawlerFrame(242)), at(crawlerFrame(275)), ...seconds, onThreeSecondStream, ...liquidations, at(IOTX_FORCE_ORDER)]
    .sort((a, b) => a.receiveMs - b.receiveMs);
}

/** COIN-M: real perpetual frames (no `i`), 1 s frames across the funding time, a delivery contract, liquidations in contracts. */
function cmFrames(): CaptureFrame[] {
  const perp = markPriceSeconds('btcusd_perp@markPrice@1s', { s: 'BTCUSD_PERP', withIndex: false, fundingMs: FUNDING_MS, ratesE8: [73684, 73690, 75001, 20000] }, FUNDING_MS - 1998, 4);
  const delivery = markPriceSeconds('btcusd_210625@markPrice@1s', { s: 'BTCUSD_210625', withIndex: true, fundingMs: null, ratesE8: [] }, FUNDING_MS - 1500, 3);
  const liquidations = [
    combined('btcusd_perp@forceOrder', forceOrder(FUNDING_MS + 3000, { s: 'BTCUSD_PERP', ps: 'BTCUSD', S: 'SELL', q: '12', p: '58702.3', ap: '58731.9', l: '5', z: '12', T: FUNDING_MS + 2998 })),
    combined('btcusd_210625@forceOrder', forceOrder(FUNDING_MS + 3600, { s: 'BTCUSD_210625', ps: 'BTCUSD', S: 'BUY', q: '340', p: '62911.0', ap: '62890.4', l: '340', z: '340', T: FUNDING_MS + 3590 })),
  ].map((raw) => at(raw));
  return [at(crawlerFrame(171)), at(crawlerFrame(204)), ...perp, ...delivery, ...liquidations].sort((a, b) => a.receiveMs - b.receiveMs);
}

/** What the client should see of `symbols`: each event once (the 1 s and 3 s streams overlap), array elements split. */
function expectedEvents(frames: readonly CaptureFrame[], symbols: readonly string[]): Payload[] {
  const seen = new Set<string>();
  const out: Payload[] = [];
  for (const frame of frames) {
    const data = (JSON.parse(frame.raw) as { data: Payload | Payload[] }).data;
    for (const event of Array.isArray(data) ? data : [data]) {
      const symbol = String(event.e === 'forceOrder' ? (event.o as Payload).s : event.s);
      const key = `${String(event.e)}/${symbol}/${String(event.E)}`;
      if (!symbols.includes(symbol) || seen.has(key)) continue;
      seen.add(key);
      out.push(event);
    }
  }
  return out;
}

/** The records a frame must become, field by field, as schemas/records.ts defines them (receive time and version checked apart). */
function expectedRecords(events: readonly Payload[], market: 'um' | 'cm'): Record<string, unknown>[] {
  const lastEstimate = new Map<string, string>();
  const out: Record<string, unknown>[] = [];
  for (const f of events) {
    if (f.e === 'forceOrder') {
      const o = f.o as Payload;
      const stream = `${String(o.s).toLowerCase()}@forceOrder`;
      out.push({
        kind: 'liquidation', exchange: 'binance', market, symbol: o.s, eventTimeUs: (o.T as number) * 1000, source: 'ws', ingestId: `ws:${stream}`,
        side: o.S, orderType: o.o, timeInForce: o.f, price: Number(o.p), avgPrice: Number(o.ap), origQty: Number(o.q),
        lastFilledQty: Number(o.l), filledAccumulatedQty: Number(o.z), orderStatus: o.X,
      });
      continue;
    }
    const ingestId = `ws:${String(f.s).toLowerCase()}@markPrice@1s`;
    const funded = f.r !== '' && f.T !== 0;
    out.push({
      kind: 'markPrice', exchange: 'binance', market, symbol: f.s, eventTimeUs: (f.E as number) * 1000, source: 'ws', ingestId,
      markPrice: Number(f.p), indexPrice: f.i === undefined ? null : Number(f.i), estimatedSettlePrice: Number(f.P),
      fundingRate: funded ? Number(f.r) : null, nextFundingTimeUs: f.T === 0 ? null : (f.T as number) * 1000,
    });
    const estimate = `${String(f.T)}/${String(f.r)}`;
    if (!funded || lastEstimate.get(String(f.s)) === estimate) continue;
    lastEstimate.set(String(f.s), estimate);
    out.push({
      kind: 'fundingRate', exchange: 'binance', market, symbol: f.s, eventTimeUs: (f.T as number) * 1000, source: 'ws', ingestId,
      fundingTimeUs: (f.T as number) * 1000, calcTimeUs: null, fundingRate: Number(f.r), fundingIntervalHours: null, markPrice: Number(f.p),
    });
  }
  return out;
}

interface Run { records: AnyRecord[]; frames: CaptureFrame[]; stats: LiveStats; startMs: number; endMs: number }

async function run(market: 'um' | 'cm', symbols: string[], frames: CaptureFrame[]): Promise<Run> {
  const url = market === 'um' ? 'wss://fstream.binance.com/market/stream?streams=btcusdt@markPrice' : 'wss://dstream.binance.com/stream?streams=btcusd_perp@markPrice';
  const server = await startReplayServer({ feed: feedFromCapture(market, wsCaptureText(url, frames)), speed: Infinity });
  servers.push(server);
  const stats = newLiveStats();
  const lastTradeUs = Math.max(...expectedEvents(frames, symbols).filter((e) => e.e === 'forceOrder').map((e) => ((e.o as Payload).T as number) * 1000));
  const startMs = Date.now();
  const live = fromBinanceLive({ market, symbols, types: ['markPrice', 'forceOrder'], wsUrl: server.wsUrl, restUrl: server.restUrl, stats, pingIntervalMs: 50, stallTimeoutMs: 5000 });
  // Stops at the last liquidation, or half a second after the server played everything (then the checks say what is missing).
  const played = from(server.finished.then(() => new Promise((resolve) => setTimeout(resolve, 500))));
  const records = await collectUntil(live.pipe(takeUntil(played)), (r) => r.kind === 'liquidation' && r.eventTimeUs === lastTradeUs);
  await server.close();
  return { records, frames, stats, startMs, endMs: Date.now() };
}

/** Checks receive time and version of a live record, then returns it without them. */
function withoutReceipt(r: MarkPriceRecord | FundingRateRecord | LiquidationRecord, run: Run): Record<string, unknown> {
  const receiveUs = r.receiveTimeUs ?? Number.NaN;
  assert.ok(receiveUs >= run.startMs * 1000 && receiveUs <= run.endMs * 1000, `${r.kind} receiveTimeUs ${receiveUs} within the run`);
  assert.equal(r.version, makeVersion('ws', receiveUs / 1000, r.kind !== 'fundingRate'), `${r.kind} version`);
  const { receiveTimeUs: _r, version: _v, ...rest } = r;
  return rest;
}

function checkAll(result: Run, market: 'um' | 'cm', symbols: string[]): void {
  const got = result.records.filter((r): r is MarkPriceRecord | FundingRateRecord | LiquidationRecord => r.kind === 'markPrice' || r.kind === 'fundingRate' || r.kind === 'liquidation');
  assert.deepEqual(result.records.filter((r) => !got.includes(r as never)), [], 'no gap, dead letter or other record');
  const bySymbol = (rs: Record<string, unknown>[], symbol: string): Record<string, unknown>[] => rs.filter((r) => r.symbol === symbol);
  const expected = expectedRecords(expectedEvents(result.frames, symbols), market);
  const actual = got.map((r) => withoutReceipt(r, result));
  for (const symbol of symbols) assert.deepEqual(bySymbol(actual, symbol), bySymbol(expected, symbol), symbol);
}

describe('USD-M markPrice and forceOrder end to end through the replay server', () => {
  const symbols = ['BTCUSDT', 'IOTXUSDT'];
  let result: Promise<Run> | undefined;
  const once = (): Promise<Run> => (result ??= run('um', symbols, umFrames()));

  it('yields one markPrice per event time and a fundingRate per new estimate, each field as the frame says, from @markPrice, @markPrice@1s and !markPrice@arr', { timeout: 30_000 }, async () => {
    const r = await once();
    checkAll(r, 'um', symbols);
    const funding = r.records.filter((x): x is FundingRateRecord => x.kind === 'fundingRate');
    assert.deepEqual(funding.map((f) => [f.fundingTimeUs, f.fundingRate]), [
      [FUNDING_MS * 1000, 0.00058455], [FUNDING_MS * 1000, 0.00058959], [FUNDING_MS * 1000, 0.00059011],
      [(FUNDING_MS + 8 * 3_600_000) * 1000, 0.000612], [(FUNDING_MS + 8 * 3_600_000) * 1000, 0.0001],
    ], 'after the funding time passes, T moves 8 h on and the estimate is for the next funding');
    assert.ok(funding.every((f) => rankOfVersion(f.version) === 2), 'a live estimate ranks as open ws, below the archive and REST');
    assert.equal(r.stats.duplicatesDropped, 5, 'the frame seen on both @markPrice and @markPrice@1s (mark and estimate), and three repeated estimates');
  });

  it('yields a liquidation per forceOrder, also for one captured on !forceOrder@arr, at the order trade time', { timeout: 30_000 }, async () => {
    const r = await once();
    const liquidations = r.records.filter((x): x is LiquidationRecord => x.kind === 'liquidation');
    assert.deepEqual(liquidations.map((l) => [l.symbol, l.side, l.origQty, l.lastFilledQty]), [['BTCUSDT', 'BUY', 0.014, 0.01], ['BTCUSDT', 'SELL', 1.25, 1.25], ['IOTXUSDT', 'SELL', 3661, 962]]);
    assert.equal(liquidations[2].eventTimeUs, 1634653599180000);
  });
});

describe('COIN-M markPrice and forceOrder end to end through the replay server', () => {
  const symbols = ['BTCUSD_PERP', 'BTCUSD_210625'];
  let result: Promise<Run> | undefined;
  const once = (): Promise<Run> => (result ??= run('cm', symbols, cmFrames()));

  it('maps perpetual frames without an index price to a null indexPrice and their r/T to fundingRate records', { timeout: 30_000 }, async () => {
    const r = await once();
    checkAll(r, 'cm', symbols);
    const marks = r.records.filter((x): x is MarkPriceRecord => x.kind === 'markPrice' && x.symbol === 'BTCUSD_PERP');
    assert.equal(marks.length, 6);
    assert.ok(marks.every((m) => m.indexPrice === null && m.fundingRate !== null));
    const funding = r.records.filter((x): x is FundingRateRecord => x.kind === 'fundingRate');
    assert.deepEqual(funding.map((f) => f.fundingTimeUs), [FUNDING_MS, FUNDING_MS, FUNDING_MS, FUNDING_MS + 8 * 3_600_000, FUNDING_MS + 8 * 3_600_000].map((ms) => ms * 1000));
  });

  it('gives a delivery contract (r "" and T 0) null funding fields and no fundingRate record', { timeout: 30_000 }, async () => {
    const r = await once();
    const delivery = r.records.filter((x) => x.symbol === 'BTCUSD_210625' && x.kind !== 'liquidation');
    assert.equal(delivery.length, 3);
    for (const m of delivery) {
      assert.equal(m.kind, 'markPrice');
      if (m.kind === 'markPrice') { assert.equal(m.fundingRate, null); assert.equal(m.nextFundingTimeUs, null); assert.notEqual(m.indexPrice, null); }
    }
  });

  it('keeps COIN-M liquidation quantities in contracts, as the frame gives them', { timeout: 30_000 }, async () => {
    const r = await once();
    const liquidations = r.records.filter((x): x is LiquidationRecord => x.kind === 'liquidation');
    assert.deepEqual(liquidations.map((l) => [l.symbol, l.side, l.origQty, l.lastFilledQty, l.filledAccumulatedQty, l.price, l.avgPrice]), [
      ['BTCUSD_PERP', 'SELL', 12, 5, 12, 58702.3, 58731.9], ['BTCUSD_210625', 'BUY', 340, 340, 340, 62911, 62890.4],
    ]);
  });
});

describe('a disconnect on the futures-only streams', () => {
  it('reports one unfillable ws_disconnect gap per markPrice and forceOrder stream, then the streams go on from the new socket', { timeout: 30_000 }, async () => {
    const frames = markPriceSeconds('btcusd_perp@markPrice@1s', { s: 'BTCUSD_PERP', withIndex: false, fundingMs: FUNDING_MS + 3_600_000, ratesE8: [73684, 73690] }, FUNDING_MS - 300_000, 400);
    const lastUs = (FUNDING_MS - 300_000 + 399 * 1000) * 1000;
    const server = await startReplayServer({ feed: feedFromCapture('cm', wsCaptureText('wss://dstream.binance.com/stream?streams=btcusd_perp@markPrice', frames)), speed: 500 });
    servers.push(server);
    const stats = newLiveStats();
    let marks = 0;
    const live = fromBinanceLive({ market: 'cm', symbols: ['BTCUSD_PERP'], types: ['markPrice', 'forceOrder'], wsUrl: server.wsUrl, restUrl: server.restUrl, stats, pingIntervalMs: 50, stallTimeoutMs: 5000, reconnectBaseDelayMs: 10, reconnectMaxDelayMs: 50 })
      .pipe(tap((r) => { if (r.kind === 'markPrice' && ++marks === 40) server.faults.drop(); }));
    const records = await collectUntil(live, (r) => r.kind === 'markPrice' && r.eventTimeUs === lastUs);
    const gaps = records.filter((r): r is GapRecord => r.kind === 'gap');
    assert.deepEqual(gaps.map((g) => [g.stream, g.dataType, g.cause, g.state]), [
      ['binance.cm.markPrice.BTCUSD_PERP', 'markPrice', 'ws_disconnect', 'unfillable'],
      ['binance.cm.liquidation.BTCUSD_PERP', 'liquidation', 'ws_disconnect', 'unfillable'],
    ]);
    const marksBefore = records.slice(0, records.indexOf(gaps[0])).filter((r): r is MarkPriceRecord => r.kind === 'markPrice');
    assert.equal(gaps[0].fromUs, marksBefore.at(-1)!.eventTimeUs + 1, 'the hole starts after the last mark price seen');
    assert.match(gaps[0].detail ?? '', /no REST history for this stream/);
    const times = records.filter((r): r is MarkPriceRecord => r.kind === 'markPrice').map((m) => m.eventTimeUs);
    assert.deepEqual(times, [...new Set(times)].sort((a, b) => a - b), 'mark prices stay in time order, each once');
    assert.ok(records.indexOf(gaps[1]) < records.length - 1, 'records follow the gap');
    assert.equal(stats.reconnects, 1);
    assert.equal(server.faults.injected.drops, 1);
  });
});

