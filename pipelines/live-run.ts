/**
 * The live dataflow shared by `lakehouse stream` and `lakehouse replay` (into sinks): a live source →
 * batches by time/rows → every sink (each batch to all of them; a bounded number in flight, acknowledged in
 * order) → counters,
 * a progress line every `progressIntervalMs`, and a final report when the source ends, the duration passes, or the
 * signal aborts (SIGINT). The source is stopped first, so the last partial batch is still written.
 *
 * Memory is bounded by back-pressure: once `maxBacklogRecords` records were received but not yet acknowledged
 * by every sink, the `flow` gate pauses the source's reads (its sockets' TCP buffers fill, the server is held
 * back) until the backlog is down to half; the report counts the pauses. A source without a gate (ccxt) is
 * not slowed down: its backlog shows in the progress line.
 *
 * Running it turns V8's allocation-site pretenuring off for the process (live-heap.ts): records and Kafka
 * messages live milliseconds, and pretenured they were all promoted, the tail of the Kafka ack latency.
 */
import { Subject, lastValueFrom, takeUntil, tap, type Observable, type OperatorFunction } from 'rxjs';
import type { LiveStats } from '../connectors/binance-live/from-binance-live.js';
import type { FlowGate } from '../connectors/plumbing/flow-gate.js';
import type { RecordBatch, WriteAck } from '../connectors/sink.js';
import { ConfigError } from '../schemas/errors.js';
import type { AnyRecord } from '../schemas/records.js';
import { toLiveBatches, type LiveBatchOptions } from './live-batches.js';
import { keepLiveObjectsYoung } from './live-heap.js';
import { sinkWriter, writeEach } from './sink-writer.js';

/** Default bound of batches written but not yet acknowledged (beyond it, batches wait in order). */
export const MAX_BATCHES_IN_FLIGHT = 1024;

/** Default bound of records received but not acknowledged by every sink before the source is paused. */
export const MAX_BACKLOG_RECORDS = 500_000;

/** What {@link runLive} needs. */
export interface LiveRun {
  readonly source: Observable<AnyRecord>;
  readonly sinks: readonly OperatorFunction<RecordBatch, WriteAck>[];
  readonly batches?: LiveBatchOptions;
  readonly stats: LiveStats;
  readonly signal: AbortSignal;
  /** Stop after this long, ms; 0 = until the signal or the source ends. */
  readonly durationMs?: number;
  /** Stop when this resolves (e.g. a replayed feed was played and drained); reported as `source`. */
  readonly finished?: Promise<void>;
  /** Batches handed to the sinks and not yet acknowledged by all, at most. @default {@link MAX_BATCHES_IN_FLIGHT} */
  readonly maxBatchesInFlight?: number;
  /**
   * The source's own stop (`fromBinanceLive({ stop })`): at the end it is aborted and the source completes by
   * itself after emitting what it still holds (live records behind an unfinished repair). Without it the source
   * is unsubscribed, and what it holds is lost.
   */
  readonly stopSource?: AbortController;
  /** The source's pause switch (`fromBinanceLive({ flow })`); without it the backlog is not bounded. */
  readonly flow?: FlowGate;
  /** Records received and not yet acknowledged by every sink at which `flow` pauses. @default {@link MAX_BACKLOG_RECORDS} */
  readonly maxBacklogRecords?: number;
  /**
   * Called with each batch once every sink acknowledged it (latency measurements): `ackedAtMs` is when the
   * last sink received its service's acknowledgement, as the sink stamped it (`WriteAck.ackedAtMs`; `seenAtMs`
   * when no sink stamps), `seenAtMs` when this thread learned of it (`now`); ms since the epoch.
   */
  readonly onAcked?: (batch: RecordBatch, ackedAtMs: number, seenAtMs: number) => void;
  /** Progress output (stderr); nothing when absent. */
  readonly progress?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Between progress lines, ms. @default 1000 */
  readonly progressIntervalMs?: number;
  readonly now?: () => number;
}

/** The final report of a live run. */
export interface LiveReport {
  readonly durationS: number;
  readonly recordsByKind: Record<string, number>;
  readonly batchesAcked: number;
  readonly rowsAcked: number;
  readonly stats: LiveStats;
  readonly stoppedBy: 'signal' | 'duration' | 'source';
  /** Back-pressure: times the source was paused, seconds paused in all, the largest backlog seen (records). */
  readonly pauses: number;
  readonly pausedS: number;
  readonly maxBacklog: number;
}

/** Counts records received and rows acknowledged; pauses `flow` when the backlog reaches `max`, resumes it at half. */
class Backpressure {
  received = 0;
  acked = 0;
  pauses = 0;
  pausedMs = 0;
  maxBacklog = 0;
  private pausedAtMs = 0;

  constructor(private readonly flow: FlowGate | undefined, private readonly max: number, private readonly now: () => number) {}

  get backlog(): number { return this.received - this.acked; }

  onReceived(): void {
    this.received++;
    const backlog = this.backlog;
    if (backlog > this.maxBacklog) this.maxBacklog = backlog;
    if (this.flow !== undefined && backlog >= this.max && !this.flow.paused) {
      this.pauses++;
      this.pausedAtMs = this.now();
      this.flow.pause();
    }
  }

  onAcked(rows: number): void {
    this.acked += rows;
    if (this.flow?.paused === true && this.backlog <= this.max / 2) this.release();
  }

  /** Resumes the source (also at the end, so nothing stays paused). */
  release(): void {
    if (this.flow?.paused !== true) return;
    this.pausedMs += this.now() - this.pausedAtMs;
    this.flow.resume();
  }
}

/** Runs the live dataflow to its end; resolves with the report. */
export async function runLive(run: LiveRun): Promise<LiveReport> {
  keepLiveObjectsYoung(); // before any record flows: see live-heap.ts
  const maxBacklog = run.maxBacklogRecords ?? MAX_BACKLOG_RECORDS;
  if (!Number.isSafeInteger(maxBacklog) || maxBacklog < 1) throw new ConfigError(`--max-backlog must be a positive whole number of records; got ${maxBacklog}`);
  const now = run.now ?? Date.now;
  const started = now();
  const recordsByKind: Record<string, number> = {};
  let batchesAcked = 0;
  let stoppedBy: LiveReport['stoppedBy'] = 'source';
  const hardStop = new Subject<void>();
  // A source with its own stop completes by itself (its last records still reach the sinks); others are cut.
  const stop = { next: (): void => { if (run.stopSource !== undefined) run.stopSource.abort(new Error('stopped')); else hardStop.next(); } };
  const onAbort = (): void => { stoppedBy = 'signal'; stop.next(); };
  run.signal.addEventListener('abort', onAbort, { once: true });
  if (run.signal.aborted) onAbort();
  void run.finished?.then(() => { if (stoppedBy !== 'signal') { stoppedBy = 'source'; stop.next(); } });
  const durationTimer = (run.durationMs ?? 0) > 0 ? setTimeout(() => { stoppedBy = 'duration'; stop.next(); }, run.durationMs) : undefined;
  const pressure = new Backpressure(run.flow, maxBacklog, now);
  const progress = run.progress === undefined ? undefined : setInterval(() => writeProgress(run.progress!, run.stats, pressure.acked, (now() - started) / 1000, run.flow?.paused === true), run.progressIntervalMs ?? 1000);
  progress?.unref();
  const writer = sinkWriter(run.sinks);
  try {
    // Stopping completes the source; the batcher then flushes its partial buffer and the writes finish.
    const stopped = run.source.pipe(tap((record) => {
      recordsByKind[record.kind] = (recordsByKind[record.kind] ?? 0) + 1;
      pressure.onReceived();
    }), takeUntil(hardStop));
    const batches = stopped.pipe(toLiveBatches(run.batches));
    // Batches go to the sinks as soon as they are cut, not one ack at a time: the Kafka sink packs the batches
    // waiting behind its request into the next one, so its throughput grows with the backlog.
    await lastValueFrom(batches.pipe(
      writeEach(writer, run.maxBatchesInFlight ?? MAX_BATCHES_IN_FLIGHT),
      tap(({ batch, ackedAtMs }) => {
        batchesAcked++;
        pressure.onAcked(batch.records.length);
        if (run.onAcked !== undefined) { const seenAtMs = now(); run.onAcked(batch, ackedAtMs ?? seenAtMs, seenAtMs); }
      }),
    ), { defaultValue: undefined });
  } finally {
    pressure.release();
    writer.close();
    run.signal.removeEventListener('abort', onAbort);
    clearTimeout(durationTimer);
    clearInterval(progress);
    hardStop.complete();
  }
  return {
    durationS: (now() - started) / 1000, recordsByKind, batchesAcked, rowsAcked: pressure.acked, stats: { ...run.stats }, stoppedBy,
    pauses: pressure.pauses, pausedS: pressure.pausedMs / 1000, maxBacklog: pressure.maxBacklog,
  };
}

function writeProgress(out: NodeJS.WritableStream & { isTTY?: boolean }, stats: LiveStats, rowsAcked: number, elapsedS: number, paused: boolean): void {
  const rate = Math.round(stats.records / Math.max(elapsedS, 0.001));
  // Records received but not yet acknowledged by every sink: grows while the sinks fall behind the feed.
  const backlog = Math.max(0, stats.records - rowsAcked);
  if (out.isTTY === true) {
    out.write(`\r\u001b[2K${stats.frames} frames · ${stats.records} records (${rate}/s) · ${rowsAcked} written · ${backlog} waiting for the sinks${paused ? ' (reads paused)' : ''} · ${stats.gaps} gaps · ${stats.reconnects} reconnects · ${stats.repaired} repaired`);
  } else {
    out.write(JSON.stringify({ progress: { ...stats, rowsAcked, backlog, paused, recordsPerS: rate, elapsedS: Math.round(elapsedS) } }) + '\n');
  }
}

/** The report as human-readable lines. */
export function formatLiveReport(report: LiveReport): string {
  const kinds = Object.entries(report.recordsByKind).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  const s = report.stats;
  return [
    `stopped by ${report.stoppedBy} after ${report.durationS.toFixed(1)} s`,
    `records: ${kinds}`,
    `written: ${report.rowsAcked} rows in ${report.batchesAcked} batches; largest backlog ${report.maxBacklog} records${report.pauses > 0 ? `, reads paused ${report.pauses} times (${report.pausedS.toFixed(1)} s) while the sinks caught up` : ''}`,
    `frames ${s.frames}, gaps ${s.gaps}, reconnects ${s.reconnects}, rolls ${s.rolls}, repaired ${s.repaired}, overlap duplicates dropped ${s.duplicatesDropped}, dead letters ${s.deadLetters}, book resyncs ${s.resyncs}${s.unsubscribedDropped > 0 ? `, records of unsubscribed streams dropped ${s.unsubscribedDropped}` : ''}`,
  ].join('\n');
}
