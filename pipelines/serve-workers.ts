/**
 * `lakehouse serve --workers N`: N consumer-group members in one process, each on a worker thread of its own
 * (serve-worker.ts) with its own Kafka consumer, {@link ServeEngine}, sinks and commits — the same members as
 * N processes with the same group id, sharing their co-partitioned partitions through the group, so every
 * delivery rule of a member holds unchanged (offsets committed below what its engine still needs, after every
 * sink acknowledged; state rebuilt from the commits). Nothing but counters and sink events crosses threads:
 * a member decodes, runs the operator chain and encodes for its sinks on its own core.
 *
 * The members join the group together, once each has built its sinks (a member joining late would make the
 * others give their partitions back and re-read them from the commits). This thread sums the members' reports into one, relays their sink events to the run's metrics and retry
 * log, and stops them when `signal` aborts. A member's permanent failure stops the others and rejects.
 */
import { merge, ignoreElements, Subject, type Observable } from 'rxjs';
import type { Worker } from 'node:worker_threads';
import type { RecordBatch, WriteAck } from '../connectors/sink.js';
import { startModuleWorker } from '../connectors/plumbing/worker-thread.js';
import { ConfigError, ConnectorError } from '../schemas/errors.js';
import type { AnyRecord, KindName } from '../schemas/records.js';
import { compactionFailedLine } from './backfill-sinks.js';
import type { ResolvedConfig } from './config.js';
import type { ServeHooks, ServeReport } from './serve.js';

/** An error as it crosses threads. */
export interface ErrorData { readonly name: string; readonly message: string; readonly retriable?: boolean }

/** Messages to a member. */
export type ServeWorkerIn = { readonly type: 'start'; readonly config: ResolvedConfig } | { readonly type: 'join' | 'stop' };

/** What a member tells about one sink of its (`relay` numbers each observed sink of the member). */
interface SinkEvent { readonly relay: number; readonly name: string; readonly index: number }

/** Messages from a member. */
export type ServeWorkerOut =
  | { readonly type: 'progress' | 'done'; readonly report: ServeReport }
  | { readonly type: 'failed'; readonly error: ErrorData; readonly report?: ServeReport }
  | { readonly type: 'restart'; readonly error: ErrorData }
  | { readonly type: 'ready' }
  | (SinkEvent & { readonly type: 'sink-batch'; readonly kind: KindName; readonly unitId: string; readonly newestUs: number; readonly states?: readonly string[] })
  | (SinkEvent & { readonly type: 'sink-ack'; readonly ack: WriteAck })
  | (SinkEvent & { readonly type: 'sink-error'; readonly error: ErrorData })
  | { readonly type: 'sink-retry'; readonly sink: string; readonly attempt: number; readonly delayMs: number; readonly error: ErrorData }
  | { readonly type: 'sink-background-error'; readonly sink: string; readonly where: string; readonly error: ErrorData }
  | { readonly type: 'sink-built'; readonly names: readonly string[] };

const WORKER_MODULE = new URL(`./serve-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
/** How long stopped members may take to drain and leave the group before they are terminated (ms). */
const STOP_GRACE_MS = 15_000;

/** An error's name, message and retriable flag (what crosses threads). */
export function errorData(error: unknown): ErrorData {
  const e = error as { name?: unknown; message?: unknown; retriable?: unknown };
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error', message: typeof e?.message === 'string' ? e.message : String(error),
    ...(typeof e?.retriable === 'boolean' ? { retriable: e.retriable } : {}),
  };
}

function errorOf(data: ErrorData): Error {
  if (data.name === 'ConfigError') return new ConfigError(data.message);
  const error = new ConnectorError(`serve worker: ${data.name}: ${data.message}`, {}, { retriable: data.retriable ?? true });
  return error;
}

const COUNTERS = ['batches', 'records', 'outputs', 'bars', 'gaps', 'deadLetters', 'commits', 'flushes', 'restarts', 'streams', 'duplicatesDropped'] as const;
/** Every counter of a report is summed: a field added to ServeReport and not listed above fails to compile here. */
const EVERY_COUNTER: Record<Exclude<keyof ServeReport, (typeof COUNTERS)[number]>, never> = {};
void EVERY_COUNTER;

/** The relay of one member's observed sink into `hooks.observe`: fed with what the member saw of it. */
class SinkRelay {
  readonly batches = new Subject<RecordBatch>();
  readonly acks = new Subject<WriteAck>();

  constructor(observe: NonNullable<NonNullable<ServeHooks['sinks']>['observe']>, name: string, index: number) {
    const sink = (input: Observable<RecordBatch>): Observable<WriteAck> => merge(input.pipe(ignoreElements()), this.acks);
    this.batches.pipe(observe(name, sink, index)).subscribe({ error: () => undefined });
  }
}

/** Runs `workers` serving members on worker threads until `signal` aborts; resolves to the summed report. */
export function runServeInWorkers(config: ResolvedConfig, workers: number, signal: AbortSignal, report: ServeReport,
  onProgress?: (r: ServeReport) => void, onRestart?: (error: unknown) => void, hooks: ServeHooks = {}): Promise<ServeReport> {
  const reports: ServeReport[] = [];
  const sum = (): void => {
    for (const key of COUNTERS) report[key] = reports.reduce((total, r) => total + (r?.[key] ?? 0), 0);
  };
  const members: Worker[] = [];
  return new Promise<ServeReport>((resolve, reject) => {
    let running = workers;
    let waiting = workers;
    let failure: Error | undefined;
    const stopAll = (): void => {
      for (const member of members) member.postMessage({ type: 'stop' } satisfies ServeWorkerIn);
      setTimeout(() => { for (const member of members) void member.terminate(); }, STOP_GRACE_MS).unref();
    };
    const ended = (): void => {
      if (--running > 0) return;
      signal.removeEventListener('abort', stopAll);
      sum();
      if (failure === undefined) resolve(report);
      else reject(failure);
    };
    for (let i = 0; i < workers; i++) {
      const member = startModuleWorker(WORKER_MODULE, { dynamicImports: true }); // the sinks are imported when chosen
      member.ref(); // the members are the run: they keep the process alive until they are stopped
      members.push(member);
      const relays = new Map<number, SinkRelay>();
      let finished = false;
      member.on('message', (message: ServeWorkerOut) => {
        switch (message.type) {
          case 'progress': reports[i] = message.report; sum(); onProgress?.(report); return;
          case 'restart': onRestart?.(errorOf(message.error)); return;
          case 'ready':
            // Every member joins the group at once: one group formation instead of a rebalance per late member.
            if (--waiting === 0) for (const m of members) m.postMessage({ type: 'join' } satisfies ServeWorkerIn);
            return;
          case 'done': case 'failed':
            finished = true;
            if (message.report !== undefined) reports[i] = message.report;
            if (message.type === 'failed' && failure === undefined) { failure = errorOf(message.error); stopAll(); }
            ended();
            return;
          case 'sink-built': hooks.sinks?.built?.(message.names); return;
          case 'sink-retry': hooks.sinks?.onRetry?.(message.sink, { attempt: message.attempt, delayMs: message.delayMs, error: errorOf(message.error) }); return;
          case 'sink-background-error': (hooks.sinks?.onBackgroundError ?? compactionFailedLine)(message.sink, message.where, errorOf(message.error)); return;
          default: relay(relays, hooks, message);
        }
      });
      member.on('error', (error) => { if (failure === undefined) { failure = new ConnectorError(`serve worker failed: ${error.message}`, {}, { retriable: false, cause: error }); stopAll(); } });
      member.on('exit', () => {
        if (finished) return;
        failure ??= new ConnectorError('serve worker exited before it was stopped', {}, { retriable: false });
        stopAll();
        ended();
      });
      member.postMessage({ type: 'start', config: { ...config, workers: 1 } } satisfies ServeWorkerIn);
    }
    if (signal.aborted) stopAll();
    else signal.addEventListener('abort', stopAll, { once: true });
  });
}

/** Feeds a member's sink event to its relay (made on the sink's first event). */
function relay(relays: Map<number, SinkRelay>, hooks: ServeHooks, message: Extract<ServeWorkerOut, SinkEvent>): void {
  const observe = hooks.sinks?.observe;
  if (observe === undefined) return;
  let target = relays.get(message.relay);
  if (target === undefined) relays.set(message.relay, (target = new SinkRelay(observe, message.name, message.index)));
  if (message.type === 'sink-batch') {
    // What the metrics read of a batch: its newest event time and, for gaps, each record's state.
    const records = (message.states ?? ['']).map((state) => ({ eventTimeUs: message.newestUs, state }) as unknown as AnyRecord);
    target.batches.next({ kind: message.kind, unitId: message.unitId, records });
  } else if (message.type === 'sink-ack') {
    target.acks.next(message.ack);
  } else {
    target.acks.error(errorOf(message.error));
    relays.delete(message.relay);
  }
}
