/**
 * The worker side of {@link runServeInWorkers} (serve-workers.ts): one consumer-group member of `lakehouse
 * serve` — its own Kafka consumer, engine, sinks and commits, exactly as a process of its own — on a worker
 * thread. Messages in: `{ type: 'start', config }` once, `join` (every member is ready to join the group), then
 * `stop`. Out: `ready` (its sinks are built: waits for `join`), `progress` (the member's report),
 * `restart` (a failed session), the sink events the owner's metrics observe, and at the end `done` (the
 * final report) or `failed` (a permanent error).
 */
import { parentPort } from 'node:worker_threads';
import { tap, type OperatorFunction } from 'rxjs';
import type { RecordBatch, WriteAck } from '../connectors/sink.js';
import type { ResolvedConfig } from './config.js';
import { runServe, type ServeReport } from './serve.js';
import { errorData, type ServeWorkerIn, type ServeWorkerOut } from './serve-workers.js';

if (parentPort === null) throw new Error('serve-worker.ts runs as a worker thread (see serve-workers.ts)');
const port = parentPort;
const post = (message: ServeWorkerOut): void => port.postMessage(message);
const stop = new AbortController();
let joined: () => void = () => undefined;
const join = new Promise<void>((resolve) => { joined = resolve; });
let observed = 0;

/** `sink`, reporting to the owner what its metrics would observe of it (see run-metrics.ts observeSink). */
function relayed(name: string, sink: OperatorFunction<RecordBatch, WriteAck>, index: number): OperatorFunction<RecordBatch, WriteAck> {
  const relay = ++observed;
  return (batches) => batches.pipe(
    tap((batch) => {
      let newestUs = -Infinity;
      for (const record of batch.records) if (record.eventTimeUs > newestUs) newestUs = record.eventTimeUs;
      const states = batch.kind === 'gap' ? batch.records.map((r) => String((r as { state?: unknown }).state)) : undefined;
      post({ type: 'sink-batch', relay, name, index, kind: batch.kind, unitId: batch.unitId, newestUs, ...(states === undefined ? {} : { states }) });
    }),
    sink,
    tap({
      next: (ack) => post({ type: 'sink-ack', relay, name, index, ack }),
      error: (error: unknown) => post({ type: 'sink-error', relay, name, index, error: errorData(error) }),
    }),
  );
}

function start(config: ResolvedConfig): void {
  let last: ServeReport | undefined;
  runServe(config, stop.signal, (report) => { last = report; post({ type: 'progress', report: { ...report } }); },
    (error) => post({ type: 'restart', error: errorData(error) }), {
      onReport: (report) => { last = report; },
      beforeJoin: () => { post({ type: 'ready' }); return join; },
      sinks: {
        observe: relayed,
        onRetry: (sink, { attempt, delayMs, error }) => post({ type: 'sink-retry', sink, attempt, delayMs, error: errorData(error) }),
        built: (names) => post({ type: 'sink-built', names: [...names] }),
        onBackgroundError: (sink, where, error) => post({ type: 'sink-background-error', sink, where, error: errorData(error) }),
      },
    })
    .then((report) => post({ type: 'done', report: { ...report } }), (error: unknown) => post({ type: 'failed', error: errorData(error), ...(last === undefined ? {} : { report: { ...last } }) }))
    .finally(() => port.close());
}

port.on('message', (message: ServeWorkerIn) => {
  if (message.type === 'start') start(message.config);
  else if (message.type === 'join') joined();
  else stop.abort();
});
