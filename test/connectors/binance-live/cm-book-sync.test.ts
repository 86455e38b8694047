import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { fromBinanceLive, newLiveStats } from '../../../connectors/binance-live/from-binance-live.js';
import { feedFromCapture, type ReplayFeed } from '../../../connectors/binance-replay/replay-feed.js';
import { startReplayServer, type ReplayServer } from '../../../connectors/binance-replay/replay-server.js';
import type { AnyRecord, BookSnapshotRecord, DepthUpdateRecord, GapRecord } from '../../../schemas/records.js';
import { makeVersion } from '../../../schemas/version.js';
import { bookSteps, collectUntilAll } from './live-harness.js';
import { cmDepthFrames, cmDepthHttpCapture, cmSnapshotBody, wsCaptureText, type CaptureFrame } from './futures-capture.js';

const servers: ReplayServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

const STREAM = 'btcusd_perp@depth@100ms';
const BEFORE = 6;
interface Diff { E: number; T: number; s: string; ps: string; U: number; u: number; pu: number; b: [string, string][]; a: [string, string][] }
const diffsOf = (frames: readonly CaptureFrame[]): Diff[] => frames.map((f) => (JSON.parse(f.raw) as { data: Diff }).data);

const cmFeed = (frames: CaptureFrame[]): ReplayFeed => feedFromCapture('cm', wsCaptureText(`wss://dstream.binance.com/stream?streams=${STREAM}`, frames), cmDepthHttpCapture());

async function cmServer(frames: CaptureFrame[], freshSnapshots: boolean): Promise<ReplayServer> {
  const server = await startReplayServer({ feed: cmFeed(frames), speed: 10, freshSnapshots });
  servers.push(server);
  return server;
}

type Book = { bids: Map<number, number>; asks: Map<number, number> };
/** Applies a snapshot or a diff to `book` (absolute quantities; 0 removes the level). */
function apply(book: Book, r: { bidPrices: number[]; bidQtys: number[]; askPrices: number[]; askQtys: number[] }): void {
  r.bidPrices.forEach((p, i) => (r.bidQtys[i] === 0 ? book.bids.delete(p) : book.bids.set(p, r.bidQtys[i])));
  r.askPrices.forEach((p, i) => (r.askQtys[i] === 0 ? book.asks.delete(p) : book.asks.set(p, r.askQtys[i])));
}
const levels = (side: [string, string][]): { prices: number[]; qtys: number[] } => ({ prices: side.map((l) => Number(l[0])), qtys: side.map((l) => Number(l[1])) });
const sorted = (side: Map<number, number>): number[][] => [...side].sort((x, y) => x[0] - y[0]);

/** The depthUpdate record a COIN-M diff must become (receive time and version apart). */
function expectedUpdate(d: Diff): Record<string, unknown> {
  const b = levels(d.b);
  const a = levels(d.a);
  return {
    kind: 'depthUpdate', exchange: 'binance', market: 'cm', symbol: d.s, eventTimeUs: d.E * 1000, source: 'ws', ingestId: `ws:${STREAM}`,
    firstUpdateId: d.U, finalUpdateId: d.u, prevFinalUpdateId: d.pu, transactionTimeUs: d.T * 1000,
    bidPrices: b.prices, bidQtys: b.qtys, askPrices: a.prices, askQtys: a.qtys,
  };
}

const strip = (r: AnyRecord): Record<string, unknown> => {
  assert.equal(r.version, makeVersion(r.source === 'rest' ? 'rest' : 'ws', (r.receiveTimeUs ?? 0) / 1000, true), `${r.kind} version`);
  const { receiveTimeUs: _r, version: _v, ...rest } = r;
  return rest;
};

describe('COIN-M book sync end to end through the replay server', () => {
  it('takes the snapshot from /dapi/v1/depth, drops diffs with u < lastUpdateId, starts at the diff with U <= lastUpdateId <= u and chains by pu', { timeout: 30_000 }, async () => {
    const frames = cmDepthFrames(40, BEFORE);
    const diffs = diffsOf(frames);
    const snapshot = cmSnapshotBody();
    const server = await cmServer(frames, false);
    const stats = newLiveStats();
    const live = fromBinanceLive({ market: 'cm', symbols: ['BTCUSD_PERP'], types: ['depth'], wsUrl: server.wsUrl, restUrl: server.restUrl, stats, pingIntervalMs: 50, stallTimeoutMs: 5000 });
    const records = await collectUntilAll(live, [(r) => r.kind === 'depthUpdate' && r.finalUpdateId === diffs.at(-1)!.u]);
    assert.deepEqual(records.map((r) => r.kind), ['bookSnapshot', ...diffs.slice(BEFORE).map(() => 'depthUpdate')]);
    const bids = levels(snapshot.bids);
    const asks = levels(snapshot.asks);
    assert.deepEqual(strip(records[0]), {
      kind: 'bookSnapshot', exchange: 'binance', market: 'cm', symbol: 'BTCUSD_PERP', eventTimeUs: snapshot.E * 1000, source: 'rest',
      ingestId: 'rest:/dapi/v1/depth?symbol=BTCUSD_PERP&limit=1000', finalUpdateId: snapshot.lastUpdateId, transactionTimeUs: snapshot.T * 1000,
      bidPrices: bids.prices, bidQtys: bids.qtys, askPrices: asks.prices, askQtys: asks.qtys,
    });
    assert.ok(diffs.slice(0, BEFORE).every((d) => d.u < snapshot.lastUpdateId), 'the feed has diffs older than the snapshot');
    const first = diffs[BEFORE];
    assert.ok(first.U <= snapshot.lastUpdateId && snapshot.lastUpdateId <= first.u);
    assert.deepEqual(records.slice(1).map(strip), diffs.slice(BEFORE).map(expectedUpdate));
    assert.equal(stats.resyncs, 0);
  });

  it('reports a withheld diff (pu no longer the previous u) as a sequence_break gap, resyncs from a fresh /dapi/v1/depth and ends with the exchange\'s book', { timeout: 30_000 }, async () => {
    const frames = cmDepthFrames(60, BEFORE);
    const diffs = diffsOf(frames);
    const server = await cmServer(frames, true);
    const stats = newLiveStats();
    // The server pauses after diff 18 until the book has it, so the diff withheld is diff 19 whatever the load;
    // it pauses again after diff 36 until the resync has caught up, so the chain goes on from the new snapshot.
    const withheld = diffs[19];
    const live = fromBinanceLive({ market: 'cm', symbols: ['BTCUSD_PERP'], types: ['depth'], wsUrl: server.wsUrl, restUrl: server.restUrl, stats, pingIntervalMs: 50, stallTimeoutMs: 5000 })
      .pipe(bookSteps(server, cmFeed(frames).events, STREAM, [{ diff: 18, then: () => server.faults.hole(1, STREAM) }, { diff: 36 }]));
    const records = await collectUntilAll(live, [(r) => r.kind === 'gap', (r) => r.kind === 'depthUpdate' && r.finalUpdateId === diffs.at(-1)!.u]);
    assert.equal(server.faults.injected.holeEvents, 1);
    const gaps = records.filter((r): r is GapRecord => r.kind === 'gap');
    assert.equal(gaps.length, 1);
    const gap = gaps[0];
    const at = records.indexOf(gap);
    const before = records.slice(0, at).filter((r): r is DepthUpdateRecord => r.kind === 'depthUpdate').at(-1)!;
    const next = diffs[diffs.indexOf(withheld) + 1];
    assert.deepEqual([gap.cause, gap.state, gap.stream, gap.dataType], ['sequence_break', 'reported', 'binance.cm.depthUpdate.BTCUSD_PERP', 'depthUpdate']);
    assert.equal(before.finalUpdateId, withheld.pu, 'the last diff applied is the one the missing diff follows');
    assert.deepEqual([gap.fromId, gap.toId], [before.finalUpdateId + 1, next.U - 1], 'the ids of the missing diff lie in the gap');
    assert.equal(gap.detail, `resync: diff U=${next.U} pu=${withheld.u} after u=${before.finalUpdateId}`);
    assert.equal(stats.resyncs, 1);
    // The resync: a second snapshot, then diffs by the futures rules again.
    const snapshots = records.filter((r): r is BookSnapshotRecord => r.kind === 'bookSnapshot');
    assert.equal(snapshots.length, 2);
    assert.ok(records.indexOf(snapshots[1]) > at);
    const after = records.slice(records.indexOf(snapshots[1]) + 1).filter((r): r is DepthUpdateRecord => r.kind === 'depthUpdate');
    assert.ok(after[0].firstUpdateId <= snapshots[1].finalUpdateId && snapshots[1].finalUpdateId <= after[0].finalUpdateId);
    for (let i = 1; i < after.length; i++) assert.equal(after[i].prevFinalUpdateId, after[i - 1].finalUpdateId);
    assert.ok(records.every((r) => r.kind !== 'depthUpdate' || r.finalUpdateId !== withheld.u), 'the withheld diff never arrived');
    // The book built from the records equals the exchange's: the snapshot plus every diff, the withheld one included.
    const ours: Book = { bids: new Map(), asks: new Map() };
    for (const r of records) {
      if (r.kind === 'bookSnapshot') { ours.bids.clear(); ours.asks.clear(); }
      if (r.kind === 'bookSnapshot' || r.kind === 'depthUpdate') apply(ours, r);
    }
    const exchange: Book = { bids: new Map(), asks: new Map() };
    const snapshot = cmSnapshotBody();
    apply(exchange, { bidPrices: levels(snapshot.bids).prices, bidQtys: levels(snapshot.bids).qtys, askPrices: levels(snapshot.asks).prices, askQtys: levels(snapshot.asks).qtys });
    for (const d of diffs.filter((x) => x.u >= snapshot.lastUpdateId)) apply(exchange, { bidPrices: levels(d.b).prices, bidQtys: levels(d.b).qtys, askPrices: levels(d.a).prices, askQtys: levels(d.a).qtys });
    assert.deepEqual([sorted(ours.bids), sorted(ours.asks)], [sorted(exchange.bids), sorted(exchange.asks)]);
  });

  it('serves a fresh COIN-M snapshot in the shape of /dapi/v1/depth (symbol and pair kept), up to the last diff played', { timeout: 30_000 }, async () => {
    const frames = cmDepthFrames(20, BEFORE);
    const server = await cmServer(frames, true);
    server.play();
    await server.finished;
    const body = await (await fetch(`${server.restUrl}/dapi/v1/depth?symbol=BTCUSD_PERP&limit=1000`)).json() as Record<string, unknown>;
    const last = diffsOf(frames).at(-1)!;
    assert.deepEqual(Object.keys(body), ['lastUpdateId', 'E', 'T', 'symbol', 'pair', 'bids', 'asks']);
    assert.deepEqual([body.lastUpdateId, body.E, body.T, body.symbol, body.pair], [last.u, last.E, last.T, 'BTCUSD_PERP', 'BTCUSD']);
  });

  it('refetches a /dapi/v1/depth snapshot older than every buffered diff, and reports the book unfillable after 5 attempts', { timeout: 30_000 }, async () => {
    const frames = cmDepthFrames(60, BEFORE).slice(BEFORE + 1); // every diff is newer than the snapshot: U > lastUpdateId
    const server = await cmServer(frames, false);
    const stats = newLiveStats();
    const live = fromBinanceLive({ market: 'cm', symbols: ['BTCUSD_PERP'], types: ['depth'], wsUrl: server.wsUrl, restUrl: server.restUrl, stats, pingIntervalMs: 50, stallTimeoutMs: 5000 });
    const records = await collectUntilAll(live, [(r) => r.kind === 'gap']);
    assert.ok(diffsOf(frames).every((d) => d.U > cmSnapshotBody().lastUpdateId));
    assert.deepEqual(records.map((r) => r.kind), ['gap'], 'no snapshot and no diff is emitted from a book that could not sync');
    const gap = records[0] as GapRecord;
    assert.deepEqual([gap.cause, gap.state, gap.stream], ['unfillable', 'unfillable', 'binance.cm.depthUpdate.BTCUSD_PERP']);
    assert.equal(gap.detail, 'snapshot older than the buffered diffs after 5 attempts');
    assert.equal(server.stats.restCalls, 5);
  });

  it('reports a dropped connection as a ws_disconnect gap and resyncs the COIN-M book from a new snapshot', { timeout: 30_000 }, async () => {
    const frames = cmDepthFrames(60, BEFORE);
    const diffs = diffsOf(frames);
    const server = await cmServer(frames, true);
    const stats = newLiveStats();
    // The drop lands once the book has diff 16, and the feed waits for the reconnect: diffs played while the
    // client is away are missed like on the exchange, and under load that could be all of them.
    const drop = (): Promise<void> => { server.faults.drop(); return server.waitForSubscribers([STREAM]); };
    const live = fromBinanceLive({ market: 'cm', symbols: ['BTCUSD_PERP'], types: ['depth'], wsUrl: server.wsUrl, restUrl: server.restUrl, stats, pingIntervalMs: 50, stallTimeoutMs: 5000, reconnectBaseDelayMs: 10, reconnectMaxDelayMs: 50 })
      .pipe(bookSteps(server, cmFeed(frames).events, STREAM, [{ diff: 16, then: drop }, { diff: 36 }]));
    const records = await collectUntilAll(live, [(r) => r.kind === 'gap', (r) => r.kind === 'depthUpdate' && r.finalUpdateId === diffs.at(-1)!.u]);
    const gaps = records.filter((r): r is GapRecord => r.kind === 'gap');
    assert.deepEqual(gaps.map((g) => [g.cause, g.state, g.stream]), [['ws_disconnect', 'reported', 'binance.cm.depthUpdate.BTCUSD_PERP']]);
    assert.match(gaps[0].detail ?? '', /book resyncs from a new snapshot/);
    assert.equal(stats.reconnects, 1);
    assert.equal(stats.resyncs, 1);
    const snapshots = records.filter((r): r is BookSnapshotRecord => r.kind === 'bookSnapshot');
    assert.equal(snapshots.length, 2);
    assert.ok(records.indexOf(snapshots[1]) > records.indexOf(gaps[0]));
    const after = records.slice(records.indexOf(snapshots[1]) + 1).filter((r): r is DepthUpdateRecord => r.kind === 'depthUpdate');
    assert.ok(after[0].firstUpdateId <= snapshots[1].finalUpdateId && snapshots[1].finalUpdateId <= after[0].finalUpdateId);
    for (let i = 1; i < after.length; i++) assert.equal(after[i].prevFinalUpdateId, after[i - 1].finalUpdateId);
  });
});

