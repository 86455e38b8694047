/**
 * The Prometheus metrics of a command run, on a registry of its own. Nothing is counted twice: the metrics
 * read the counters the run keeps anyway (the live client's {@link LiveStats}, the REST limiter's stats, the
 * serve report, the backfill progress) when scraped, and the few things nobody counted (records per stream,
 * sink batch sizes and latencies, the backlog, the newest event time written) are observed once, by wrapping
 * the source and the sinks. Counters are cumulative; a scraper takes their rate. Metric names: README.md.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { defer, tap, type MonoTypeOperatorFunction, type OperatorFunction } from 'rxjs';
import type { LiveStats } from '../connectors/binance-live/live-stats.js';
import type { RestLimiterStats } from '../connectors/binance-live/rest-limiter.js';
import type { ReplayStats } from '../connectors/binance-replay/replay-sockets.js';
import type { RecordBatch, WriteAck } from '../connectors/sink.js';
import type { AnyRecord } from '../schemas/records.js';
import type { Progress } from './progress.js';
import type { ServeReport } from './serve-session.js';

type Labels = Record<string, string>;
type Read = () => Iterable<readonly [Labels, number]>;

/** A batch on its way through one sink. */
interface InFlight { readonly startedMs: number; readonly newestUs: number }

/** Rows a sink acknowledged, and the newest event time among them per kind. */
interface SinkTally { rows: number; readonly newestUs: Map<string, number> }

const LIVE_COUNTERS: readonly (readonly [keyof LiveStats, string, string])[] = [
  ['frames', 'lakehouse_live_frames_total', 'WebSocket frames received'],
  ['reconnects', 'lakehouse_live_reconnects_total', 'WebSocket connections lost and opened again'],
  ['rolls', 'lakehouse_live_rolls_total', 'WebSocket connections replaced before their age limit'],
  ['gaps', 'lakehouse_live_gaps_found_total', 'Holes found in live streams (disconnects, id breaks)'],
  ['repaired', 'lakehouse_live_repaired_records_total', 'Records fetched over REST to fill holes'],
  ['duplicatesDropped', 'lakehouse_live_duplicates_dropped_total', 'Records dropped as duplicates (reconnect and roll overlaps: dedupe hits)'],
  ['deadLetters', 'lakehouse_live_dead_letters_total', 'Frames that could not be decoded (dead letters)'],
  ['resyncs', 'lakehouse_live_book_resyncs_total', 'Order books resynchronised from a new snapshot'],
];

const SERVE_COUNTERS: readonly (readonly [keyof ServeReport, string, string])[] = [
  ['batches', 'lakehouse_serve_batches_total', 'Kafka batches consumed'],
  ['records', 'lakehouse_serve_records_total', 'Records consumed from Kafka'],
  ['outputs', 'lakehouse_serve_outputs_total', 'Records the operator chain produced for the sinks'],
  ['bars', 'lakehouse_serve_bars_total', 'Bars built by resampling'],
  ['gaps', 'lakehouse_serve_gaps_total', 'Gap records produced (found, filled or unfillable)'],
  ['deadLetters', 'lakehouse_serve_dead_letters_total', 'Dead letters passed to the sinks'],
  ['flushes', 'lakehouse_serve_idle_flushes_total', 'Idle flushes of the operator state'],
  ['restarts', 'lakehouse_serve_restarts_total', 'Serve sessions started again after a failure'],
  ['duplicatesDropped', 'lakehouse_serve_duplicates_dropped_total', 'Records dropped by dedupe as copies of one already passed (dedupe hits)'],
];

const REPLAY_COUNTERS: readonly (readonly [keyof ReplayStats, string, string])[] = [
  ['connections', 'lakehouse_replay_connections_total', 'WebSocket clients accepted by the replay server'],
  ['framesSent', 'lakehouse_replay_frames_sent_total', 'WebSocket frames the replay server sent'],
  ['eventsPlayed', 'lakehouse_replay_events_played_total', 'Feed events played'],
  ['restCalls', 'lakehouse_replay_rest_calls_total', 'REST calls the replay server answered'],
];

/** The metrics of one run; see the module comment. */
export class RunMetrics {
  readonly registry = new Registry();
  private live: { readonly stats: LiveStats; readonly rest?: RestLimiterStats } | undefined;
  private serve: ServeReport | undefined;
  private replay: ReplayStats | undefined;
  /** Records from the live source, kind → symbol → count. */
  private readonly received = new Map<string, Map<string, number>>();
  private receivedTotal = 0;
  private readonly tallies = new Map<string, SinkTally>();
  private lagRead: (() => Promise<ReadonlyMap<string, number>>) | undefined;
  private readonly batchRows: Histogram<'sink'>;
  private readonly writeSeconds: Histogram<'sink'>;
  private readonly sinkRows: Counter<'sink' | 'kind'>;
  private readonly sinkErrors: Counter<'sink'>;
  private readonly gaps: Counter<'state'>;

  constructor(command: string, runId: string) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    new Gauge({ name: 'lakehouse_run_info', help: 'The running command (value 1)', labelNames: ['command', 'run_id'], registers }).set({ command, run_id: runId }, 1);
    this.batchRows = new Histogram({ name: 'lakehouse_sink_batch_rows', help: 'Rows per batch written to a sink', labelNames: ['sink'], buckets: [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000], registers });
    this.writeSeconds = new Histogram({ name: 'lakehouse_sink_write_seconds', help: 'Seconds from a batch reaching a sink to its acknowledgement (waiting behind earlier batches included)', labelNames: ['sink'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers });
    this.sinkRows = new Counter({ name: 'lakehouse_sink_rows_total', help: 'Rows acknowledged by a sink, per record kind', labelNames: ['sink', 'kind'], registers });
    this.sinkErrors = new Counter({ name: 'lakehouse_sink_errors_total', help: 'Sink failures (the run stops, or serve starts a new session)', labelNames: ['sink'], registers });
    this.gaps = new Counter({ name: 'lakehouse_gaps_total', help: 'Gap records written, by state (open = found; filled, partial, unfillable, reported)', labelNames: ['state'], registers });
    this.defineSinkGauges();
  }

  /** Feeds the live client's counters and its REST limiter's (stream, replay). */
  watchLive(stats: LiveStats, rest?: RestLimiterStats): void {
    if (this.live === undefined) this.defineLive();
    this.live = rest === undefined ? { stats } : { stats, rest };
  }

  /** Feeds the replay server's counters (`replay --serve`). */
  watchReplay(stats: ReplayStats): void {
    if (this.replay === undefined) for (const [key, name, help] of REPLAY_COUNTERS) mirrored(this.registry, name, help, [], () => one(this.replay?.[key]));
    this.replay = stats;
  }

  /** Feeds the serve report. */
  watchServe(report: ServeReport): void {
    if (this.serve === undefined) {
      for (const [key, name, help] of SERVE_COUNTERS) mirrored(this.registry, name, help, [], () => one(this.serve?.[key]));
      gauge(this.registry, 'lakehouse_serve_streams', 'Stream keys held by the operator chain', () => this.serve?.streams);
    }
    this.serve = report;
  }

  /** Reads the consumer group's lag per `topic/partition` when scraped. */
  watchConsumerLag(read: () => Promise<ReadonlyMap<string, number>>): void {
    if (this.lagRead === undefined) this.defineLag();
    this.lagRead = read;
  }

  /** Records received from the live source and not yet acknowledged by every sink. */
  get backlog(): number {
    const acked = Math.min(...[...this.tallies.values()].map((t) => t.rows));
    return Number.isFinite(acked) ? Math.max(0, this.receivedTotal - acked) : this.receivedTotal;
  }

  /** Counts the records of a live source per stream (kind, symbol). */
  countRecords(): MonoTypeOperatorFunction<AnyRecord> {
    return tap((record) => {
      this.receivedTotal++;
      let bySymbol = this.received.get(record.kind);
      if (bySymbol === undefined) this.received.set(record.kind, (bySymbol = new Map()));
      bySymbol.set(record.symbol, (bySymbol.get(record.symbol) ?? 0) + 1);
    });
  }

  /** The backfill's progress display, counting into the metrics too. */
  observeProgress(progress: Progress, totals: { files: number; bytes: number | null }): Progress {
    const registers = [this.registry];
    const files = new Counter({ name: 'lakehouse_backfill_files_total', help: 'Archive files finished (loaded, skipped, failed or missing)', registers });
    const bytes = new Counter({ name: 'lakehouse_backfill_bytes_total', help: 'Archive bytes read', registers });
    const rows = new Counter({ name: 'lakehouse_backfill_rows_total', help: 'Archive rows parsed', registers });
    new Gauge({ name: 'lakehouse_backfill_planned_files', help: 'Archive files the run planned', registers }).set(totals.files);
    new Gauge({ name: 'lakehouse_backfill_planned_bytes', help: 'Archive bytes the run planned (0 when unknown without a listing)', registers }).set(totals.bytes ?? 0);
    return {
      file: () => { files.inc(); progress.file(); },
      bytes: (n) => { bytes.inc(n); progress.bytes(n); },
      rows: (n) => { rows.inc(n); progress.rows(n); },
      stop: () => progress.stop(),
    };
  }

  /**
   * `sink` (named `name`), observed: rows and seconds per batch, rows per kind, gap states, the newest event
   * time written. Sinks acknowledge batches in order, one acknowledgement per batch. `countsGaps`: this sink's
   * acknowledgements count the gap records (one sink of a run, so that a gap is counted once).
   */
  observeSink(name: string, sink: OperatorFunction<RecordBatch, WriteAck>, countsGaps: boolean): OperatorFunction<RecordBatch, WriteAck> {
    const tally: SinkTally = this.tallies.get(name) ?? { rows: 0, newestUs: new Map() };
    this.tallies.set(name, tally);
    return (batches) => defer(() => {
      const inFlight = new Map<string, InFlight[]>();
      const gapStates = new Map<string, string[][]>();
      return batches.pipe(
        tap((batch) => {
          let newestUs = -Infinity;
          for (const record of batch.records) if (record.eventTimeUs > newestUs) newestUs = record.eventTimeUs;
          push(inFlight, batch.unitId, { startedMs: performance.now(), newestUs });
          if (countsGaps && batch.kind === 'gap') push(gapStates, batch.unitId, batch.records.map((r) => String((r as { state?: unknown }).state)));
        }),
        sink,
        tap({
          next: (ack) => {
            const started = inFlight.get(ack.unitId)?.shift();
            if (inFlight.get(ack.unitId)?.length === 0) inFlight.delete(ack.unitId);
            tally.rows += ack.rows;
            this.batchRows.observe({ sink: name }, ack.rows);
            this.sinkRows.inc({ sink: name, kind: ack.kind }, ack.rows);
            if (started !== undefined) {
              this.writeSeconds.observe({ sink: name }, (performance.now() - started.startedMs) / 1000);
              if (started.newestUs > (tally.newestUs.get(ack.kind) ?? -Infinity)) tally.newestUs.set(ack.kind, started.newestUs);
            }
            for (const state of gapStates.get(ack.unitId)?.shift() ?? []) this.gaps.inc({ state });
            if (gapStates.get(ack.unitId)?.length === 0) gapStates.delete(ack.unitId);
          },
          error: () => this.sinkErrors.inc({ sink: name }),
        }),
      );
    });
  }

  private defineLive(): void {
    const registry = this.registry;
    const stats = (): LiveStats | undefined => this.live?.stats;
    for (const [key, name, help] of LIVE_COUNTERS) mirrored(registry, name, help, [], () => one(stats()?.[key]));
    mirrored(registry, 'lakehouse_records_received_total', 'Records received from the live source, per stream', ['kind', 'symbol'], () => this.receivedPerStream());
    const rest = (): RestLimiterStats | undefined => this.live?.rest;
    mirrored(registry, 'lakehouse_rest_calls_total', 'REST calls made (snapshots, repairs)', [], () => one(rest()?.calls));
    mirrored(registry, 'lakehouse_rest_weight_used_total', 'REST request weight used', [], () => one(rest()?.weight));
    mirrored(registry, 'lakehouse_rest_wait_seconds_total', 'Seconds REST calls waited for weight budget or a Retry-After', [], () => one(rest() === undefined ? undefined : rest()!.waitedMs / 1000));
    mirrored(registry, 'lakehouse_rest_rate_limited_total', 'REST answers 429 (rate limited) and 418 (IP banned)', ['status'], () => {
      const r = rest();
      return r === undefined ? [] : [[{ status: '429' }, r.rateLimited - r.banned], [{ status: '418' }, r.banned]];
    });
    gauge(registry, 'lakehouse_live_open_sockets', 'WebSocket connections open now', () => stats()?.openSockets);
    gauge(registry, 'lakehouse_backlog_records', 'Records received from the live source and not yet acknowledged by every sink', () => this.backlog);
  }

  private defineLag(): void {
    const readLag = (): Promise<ReadonlyMap<string, number>> => (this.lagRead === undefined ? Promise.resolve(new Map()) : this.lagRead());
    new Gauge({
      name: 'lakehouse_consumer_lag_records', help: 'Records of a partition after the consumer group\'s committed offset', labelNames: ['topic', 'partition'], registers: [this.registry],
      async collect() {
        this.reset();
        try {
          const lags = await readLag();
          for (const [key, lag] of lags) this.set({ topic: key.slice(0, key.lastIndexOf('/')), partition: key.slice(key.lastIndexOf('/') + 1) }, lag);
        } catch {
          // Kafka unreachable: no lag to show (/readyz says why).
        }
      },
    });
  }

  private defineSinkGauges(): void {
    const tallies = this.tallies;
    new Gauge({
      name: 'lakehouse_watermark_delay_seconds', help: 'Now minus the newest event time a sink acknowledged, per record kind', labelNames: ['sink', 'kind'], registers: [this.registry],
      collect() {
        this.reset();
        for (const [sink, tally] of tallies) for (const [kind, us] of tally.newestUs) this.set({ sink, kind }, Math.max(0, Date.now() / 1000 - us / 1e6));
      },
    });
  }

  private *receivedPerStream(): Iterable<readonly [Labels, number]> {
    for (const [kind, bySymbol] of this.received) for (const [symbol, n] of bySymbol) yield [{ kind, symbol }, n];
  }
}

/** A counter that follows a cumulative count kept elsewhere: each scrape adds what it grew by. */
function mirrored(registry: Registry, name: string, help: string, labelNames: readonly string[], read: Read): void {
  const last = new Map<string, number>();
  new Counter({
    name, help, labelNames, registers: [registry],
    collect() {
      for (const [labels, value] of read()) {
        const key = JSON.stringify(labels);
        const grown = value - (last.get(key) ?? 0);
        if (grown > 0) { this.inc(labels, grown); last.set(key, value); }
      }
    },
  });
}

/** A gauge read when scraped. */
function gauge(registry: Registry, name: string, help: string, read: () => number | undefined): void {
  new Gauge({ name, help, registers: [registry], collect() { this.set(read() ?? 0); } });
}

function one(value: number | undefined): Iterable<readonly [Labels, number]> {
  return value === undefined ? [] : [[{}, value]];
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]); else list.push(value);
}
