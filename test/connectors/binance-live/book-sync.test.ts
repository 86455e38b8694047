import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BookSync } from '../../../connectors/binance-live/book-sync.js';
import { mapBinanceDepthSnapshot } from '../../../connectors/binance-live/map-binance-book.js';
import { mapBinanceFrame } from '../../../connectors/binance-live/map-binance-frame.js';
import { parseHttpCapture, parseWsCapture } from '../../../connectors/binance-replay/capture-file.js';
import type { AnyRecord, BookSnapshotRecord, DepthUpdateRecord } from '../../../schemas/records.js';
import { realFixtureText } from '../../support/fixtures.js';

interface SymbolCapture { symbol: string; snapshot: BookSnapshotRecord; snapshotMs: number; updates: { ms: number; update: DepthUpdateRecord }[] }

function load(prefix: 'BINANCE' | 'BINANCE_FUTURES', market: 'spot' | 'um'): SymbolCapture[] {
  const frames = parseWsCapture(realFixtureText(`${prefix}.ws.1.0`)).frames;
  const updates = frames.flatMap((f) => {
    const decoded = mapBinanceFrame(f.raw, market, f.receiveMs);
    return decoded.type === 'records' ? decoded.records.filter((r): r is DepthUpdateRecord => r.kind === 'depthUpdate').map((update) => ({ ms: f.receiveMs, update })) : [];
  });
  return parseHttpCapture(realFixtureText(`${prefix}.http.0.0`)).responses.map((response) => {
    const symbol = response.url.searchParams.get('symbol')!;
    const context = { market, receiveMs: response.receiveMs, ingestId: response.url.pathname };
    return {
      symbol, snapshotMs: response.receiveMs,
      snapshot: mapBinanceDepthSnapshot(JSON.parse(response.body), symbol, context),
      updates: updates.filter((u) => u.update.symbol === symbol),
    };
  });
}

/** Feeds a capture in time order: diffs received before the snapshot are buffered, then the snapshot. */
function replay(sync: BookSync, capture: SymbolCapture, drop = new Set<number>()): { records: AnyRecord[]; snapshotRequests: number } {
  const records: AnyRecord[] = [];
  let snapshotRequests = 0;
  let snapshotGiven = false;
  for (const { ms, update } of capture.updates) {
    if (!snapshotGiven && ms > capture.snapshotMs) {
      snapshotGiven = true;
      const step = sync.onSnapshot(capture.snapshot);
      records.push(...step.records);
    }
    if (drop.has(update.finalUpdateId)) continue;
    const step = sync.onUpdate(update, ms);
    records.push(...step.records);
    if (step.needSnapshot) snapshotRequests++;
  }
  return { records, snapshotRequests };
}

for (const [prefix, market] of [['BINANCE', 'spot'], ['BINANCE_FUTURES', 'um']] as const) {
  describe(`BookSync on the real ${market} capture (${prefix}.ws.1.0 + .http.0.0)`, () => {
    const captures = load(prefix, market);

    it('syncs every symbol from its snapshot with no sequence break, following the documented first-event rule', () => {
      assert.equal(captures.length, 4);
      for (const capture of captures) {
        const sync = new BookSync(market, capture.symbol);
        const { records, snapshotRequests } = replay(sync, capture);
        assert.equal(snapshotRequests, 1, capture.symbol);
        assert.equal(records.filter((r) => r.kind === 'gap').length, 0, capture.symbol);
        assert.equal(records[0].kind, 'bookSnapshot');
        const applied = records.filter((r): r is DepthUpdateRecord => r.kind === 'depthUpdate');
        assert.ok(applied.length > 0, capture.symbol);
        const lastUpdateId = capture.snapshot.finalUpdateId;
        const first = applied[0];
        if (market === 'spot') assert.ok(first.firstUpdateId <= lastUpdateId + 1 && lastUpdateId + 1 <= first.finalUpdateId);
        else assert.ok(first.firstUpdateId <= lastUpdateId && lastUpdateId <= first.finalUpdateId);
        for (let i = 1; i < applied.length; i++) {
          if (market === 'spot') assert.equal(applied[i].firstUpdateId, applied[i - 1].finalUpdateId + 1);
          else assert.equal(applied[i].prevFinalUpdateId, applied[i - 1].finalUpdateId);
        }
        const expected = capture.updates.filter(({ update }) => (market === 'spot' ? update.finalUpdateId > lastUpdateId : update.finalUpdateId >= lastUpdateId));
        assert.equal(applied.length, expected.length, capture.symbol);
        assert.ok(sync.synced);
      }
    });

    it('reports a dropped diff as a sequence_break gap and asks for a new snapshot, then resyncs from it', () => {
      const capture = captures.find((c) => c.updates.length > 20)!;
      const kept = capture.updates.filter(({ update }) => update.finalUpdateId > capture.snapshot.finalUpdateId);
      const missing = kept[3].update;
      const sync = new BookSync(market, capture.symbol);
      const { records, snapshotRequests } = replay(sync, { ...capture, updates: capture.updates.slice(0, capture.updates.indexOf(kept[8]) + 1) }, new Set([missing.finalUpdateId]));
      const gaps = records.filter((r) => r.kind === 'gap');
      assert.equal(gaps.length, 1);
      const gap = gaps[0];
      assert.equal(gap.kind, 'gap');
      if (gap.kind !== 'gap') return;
      assert.equal(gap.cause, 'sequence_break');
      assert.equal(gap.state, 'reported');
      assert.equal(gap.stream, `binance.${market}.depthUpdate.${capture.symbol}`);
      assert.equal(gap.fromId, kept[2].update.finalUpdateId + 1);
      assert.equal(gap.toId, kept[4].update.firstUpdateId - 1);
      assert.equal(snapshotRequests, 2, 'one for the first sync, one for the resync');
      assert.equal(sync.synced, false);
      assert.equal(sync.resyncs, 1);
      // A fresh snapshot taken at kept[5] resumes the book from the buffered diffs.
      const resync = sync.onSnapshot({ ...capture.snapshot, finalUpdateId: market === 'spot' ? kept[5].update.finalUpdateId : kept[6].update.firstUpdateId });
      assert.equal(resync.needSnapshot, false);
      assert.deepEqual(resync.records.map((r) => r.kind), ['bookSnapshot', 'depthUpdate', 'depthUpdate', 'depthUpdate'].slice(0, resync.records.length));
      assert.ok(resync.records.length >= 3);
      assert.ok(sync.synced);
    });

    it('refetches a snapshot that is older than the first buffered diff', () => {
      const capture = captures[0];
      const sync = new BookSync(market, capture.symbol);
      const late = capture.updates.filter(({ update }) => update.finalUpdateId > capture.snapshot.finalUpdateId + 1).slice(1);
      for (const { ms, update } of late) sync.onUpdate(update, ms);
      const step = sync.onSnapshot(capture.snapshot);
      assert.equal(step.needSnapshot, true);
      assert.deepEqual(step.records, []);
      assert.equal(sync.synced, false);
    });
  });
}
