import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { Observable, concatMap, delay, from, map, of, type OperatorFunction } from 'rxjs';
import { fromBinanceLive, newLiveStats } from '../../connectors/binance-live/from-binance-live.js';
import { startReplayServer } from '../../connectors/binance-replay/replay-server.js';
import { FlowGate } from '../../connectors/plumbing/flow-gate.js';
import type { RecordBatch, WriteAck } from '../../connectors/sink.js';
import { runLive } from '../../pipelines/live-run.js';
import type { AnyRecord } from '../../schemas/index.js';
import { sampleRecords } from '../support/sample-records.js';
import { cmAggTradeEvents, cmFeed } from '../connectors/binance-live/live-harness.js';

const ackOf = (batch: RecordBatch): WriteAck => ({ sink: 'memory', unitId: batch.unitId, kind: batch.kind, rows: batch.records.length, target: 'memory' });

/** An in-memory sink that acknowledges in order after `delayMs`, noting how many batches it held unacknowledged. */
function memorySink(delayMs: number, seen: { received: number; acked: number; maxWaiting: number }): OperatorFunction<RecordBatch, WriteAck> {
  return (batches: Observable<RecordBatch>) => batches.pipe(
    map((batch) => { seen.received++; seen.maxWaiting = Math.max(seen.maxWaiting, seen.received - seen.acked); return batch; }),
    concatMap((batch) => of(batch).pipe(delay(delayMs))),
    map((batch) => { seen.acked++; return ackOf(batch); }),
  );
}

describe('runLive', () => {
  it('hands waiting batches to a slow sink before the first is acknowledged, and counts every row once all sinks acked', async () => {
    const records = sampleRecords('trade', 600) as AnyRecord[];
    const slow = { received: 0, acked: 0, maxWaiting: 0 };
    const fast = { received: 0, acked: 0, maxWaiting: 0 };
    const acked: string[] = [];
    const report = await runLive({
      source: from(records), stats: newLiveStats(), signal: new AbortController().signal,
      batches: { windowMs: 1000, maxRows: 50 },
      sinks: [memorySink(20, slow), memorySink(0, fast)],
      onAcked: (batch) => acked.push(batch.unitId),
    });
    assert.equal(report.rowsAcked, 600);
    assert.equal(slow.acked, fast.acked);
    assert.ok(slow.maxWaiting > 1, `the slow sink held at most ${slow.maxWaiting} batch(es) at once`);
    assert.equal(acked.length, report.batchesAcked);
  });

  it('settles two batches with the same unit id in flight, each once every sink acknowledged it', async () => {
    const [a, b] = sampleRecords('trade', 2) as AnyRecord[];
    const sinkOf = (delayMs: number): OperatorFunction<RecordBatch, WriteAck> => (batches) => batches.pipe(concatMap((batch) => of(ackOf(batch)).pipe(delay(delayMs))));
    const report = await runLive({
      // Two identical records cut into two batches: the same unit id twice.
      source: from([a, a, b]), stats: newLiveStats(), signal: new AbortController().signal, batches: { windowMs: 1000, maxRows: 1 },
      sinks: [sinkOf(5), sinkOf(0)],
    });
    assert.equal(report.rowsAcked, 3);
    assert.equal(report.batchesAcked, 3);
  });

  it('reports a batch acknowledged when the last sink heard from its service, as the sinks stamped it', async () => {
    const records = sampleRecords('trade', 4) as AnyRecord[];
    // Stamps far from any clock reading: the first sink's 1000 + n, the second's 2000 + n; a third stamps nothing.
    const stamping = (base: number): OperatorFunction<RecordBatch, WriteAck> => (batches) => {
      let n = 0;
      return batches.pipe(map((batch) => ({ ...ackOf(batch), ackedAtMs: base + n++ })));
    };
    const seen: [number, number][] = [];
    await runLive({
      source: from(records), stats: newLiveStats(), signal: new AbortController().signal, batches: { windowMs: 1000, maxRows: 2 }, now: () => 5000,
      sinks: [stamping(1000), stamping(2000), memorySink(0, { received: 0, acked: 0, maxWaiting: 0 })],
      onAcked: (_batch, ackedAtMs, seenAtMs) => seen.push([ackedAtMs, seenAtMs]),
    });
    assert.ok(seen.length > 0);
    assert.deepEqual(seen, seen.map((_, k) => [2000 + k, 5000]));
    // No sink stamps: acknowledged when this thread saw it.
    const unstamped: number[] = [];
    await runLive({
      source: from(records), stats: newLiveStats(), signal: new AbortController().signal, batches: { windowMs: 1000, maxRows: 2 }, now: () => 5000,
      sinks: [memorySink(0, { received: 0, acked: 0, maxWaiting: 0 })], onAcked: (_batch, ackedAtMs) => unstamped.push(ackedAtMs),
    });
    assert.deepEqual(unstamped, seen.map(() => 5000));
  });

  it('at the end, lets a source with its own stop emit what it still holds before completing: those records are written', async () => {
    const [first, held] = sampleRecords('trade', 2) as AnyRecord[];
    const stopSource = new AbortController();
    // A live source holding one record until it is told to stop (as fromBinanceLive holds records behind a repair).
    const source = new Observable<AnyRecord>((subscriber) => {
      subscriber.next(first);
      stopSource.signal.addEventListener('abort', () => { subscriber.next(held); subscriber.complete(); }, { once: true });
    });
    const written: AnyRecord[] = [];
    const controller = new AbortController();
    const sink: OperatorFunction<RecordBatch, WriteAck> = (batches) => batches.pipe(map((batch) => { written.push(...batch.records); return ackOf(batch); }));
    setTimeout(() => controller.abort(new Error('SIGINT')), 50);
    const report = await runLive({ source, stopSource, sinks: [sink], stats: newLiveStats(), signal: controller.signal, batches: { windowMs: 10, maxRows: 100 } });
    assert.equal(report.stoppedBy, 'signal');
    assert.deepEqual(written, [first, held]);
  });

  it('shows in its progress how many received records still wait for the sinks', async () => {
    const stats = newLiveStats();
    const records = sampleRecords('trade', 300) as AnyRecord[];
    const counted = from(records).pipe(map((r) => { stats.records++; return r; }));
    const progress = new PassThrough();
    let text = '';
    progress.on('data', (chunk) => { text += String(chunk); });
    await runLive({
      source: counted, stats, signal: new AbortController().signal, progress, batches: { windowMs: 10, maxRows: 1000 },
      sinks: [(batches) => batches.pipe(concatMap((batch) => of(ackOf(batch)).pipe(delay(1300))))],
    });
    const first = JSON.parse(text.split('\n')[0]) as { progress: { backlog: number; rowsAcked: number } };
    assert.equal(first.progress.rowsAcked, 0);
    assert.equal(first.progress.backlog, 300);
  });

  it('pauses the WebSocket reads while the sinks are behind, so the backlog stays bounded, and loses nothing', async () => {
    const events = cmAggTradeEvents(4000);
    const lastId = (events.at(-1)!.data as { a: number }).a;
    const run = async (flow: FlowGate | undefined): Promise<{ ids: number[]; report: Awaited<ReturnType<typeof runLive>> }> => {
      const server = await startReplayServer({ feed: cmFeed(events), speed: 1e9 });
      try {
        const ids: number[] = [];
        let sawLast: () => void = () => undefined;
        const finished = new Promise<void>((resolve) => { sawLast = resolve; });
        const source = fromBinanceLive({ market: 'cm', symbols: ['BTCUSD_PERP'], types: ['aggTrade'], wsUrl: server.wsUrl, restUrl: server.restUrl, ...(flow === undefined ? {} : { flow }) })
          .pipe(map((r) => { if (r.kind === 'aggTrade' && r.aggTradeId === lastId) sawLast(); return r; }));
        const slowSink: OperatorFunction<RecordBatch, WriteAck> = (batches) => batches.pipe(concatMap((batch) => {
          for (const r of batch.records) if (r.kind === 'aggTrade') ids.push(r.aggTradeId);
          return of(ackOf(batch)).pipe(delay(25));
        }));
        const report = await runLive({
          source, sinks: [slowSink], stats: newLiveStats(), signal: new AbortController().signal, finished,
          batches: { windowMs: 10, maxRows: 100 }, maxBacklogRecords: 300, ...(flow === undefined ? {} : { flow }),
        });
        return { ids, report };
      } finally {
        await server.close();
      }
    };
    const gated = await run(new FlowGate());
    assert.deepEqual(gated.ids, events.map((e) => (e.data as { a: number }).a));
    assert.ok(gated.report.pauses > 0);
    // 300, plus what the socket had already read when it paused (one read of at most 64 KiB).
    assert.ok(gated.report.maxBacklog < 1300, `largest backlog ${gated.report.maxBacklog}`);
    const ungated = await run(undefined);
    assert.equal(ungated.ids.length, events.length);
    assert.equal(ungated.report.pauses, 0);
    assert.ok(ungated.report.maxBacklog > 2000, `without a gate the backlog reached ${ungated.report.maxBacklog}`);
  });

  it('refuses a backlog bound that could never release the paused source', async () => {
    for (const maxBacklogRecords of [0, -5, 1.5, Number.NaN]) {
      await assert.rejects(runLive({ source: from([]), sinks: [], stats: newLiveStats(), signal: new AbortController().signal, flow: new FlowGate(), maxBacklogRecords }), /--max-backlog must be a positive whole number/);
    }
  });
});
