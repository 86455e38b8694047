/**
 * The Kafka sink on its own thread: {@link toKafkaInWorker} behaves like `toKafka` (same acks, order and
 * guarantees, see to-kafka.ts) but Avro encoding and kafkajs' request building — about 16 µs of CPU per
 * message, the most expensive step of a live pipeline — run in a worker thread, so the thread that reads the
 * WebSockets (or parses archives) keeps its core. Batches go to the worker as columns with their buffers
 * transferred (columnar-batch.ts; a batch that does not fit its field table goes as objects, by structured
 * clone, so the worker's encoder reports it). Options must be plain data: a topic prefix instead of a
 * `topicOf` function, no `serde`.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { ConfigError, SinkWriteError } from '../../schemas/errors.js';
import type { BackoffOptions } from '../plumbing/backoff.js';
import { clientLogLevel, emitClientLog, type ClientLogEntry, type ClientLogLevel } from '../client-logs.js';
import { recordsOf, type RecordBatch, type WriteAck } from '../sink.js';
import { startModuleWorker } from '../plumbing/worker-thread.js';
import { toColumns, type ColumnarBatch } from './columnar-batch.js';
import type { ToKafkaOptions } from './to-kafka.js';

/** Options of {@link toKafkaInWorker}: those of `toKafka` that are plain data, and a topic prefix. */
export type KafkaWorkerOptions = Omit<ToKafkaOptions, 'serde' | 'topicOf' | 'retry'> & {
  /** Prepended to every topic name (`topicFor`), e.g. a test run's namespace. @default '' */
  readonly topicPrefix?: string;
  /** The retry policy's numbers (its callbacks cannot cross threads). @default backoff.ts defaults */
  readonly retry?: Pick<BackoffOptions, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs'>;
};

/** Messages to the worker. */
export type KafkaWorkerIn =
  | { readonly type: 'start'; readonly options: KafkaWorkerOptions; readonly logLevel: ClientLogLevel }
  | { readonly type: 'batch'; readonly batch: RecordBatch }
  | { readonly type: 'columns'; readonly batch: ColumnarBatch }
  | { readonly type: 'complete' }
  | { readonly type: 'stop' };

/** Messages from the worker. */
export type KafkaWorkerOut =
  | { readonly type: 'ack'; readonly ack: WriteAck }
  | { readonly type: 'error'; readonly error: { readonly name: string; readonly message: string; readonly retriable: boolean } }
  | { readonly type: 'log'; readonly entry: ClientLogEntry }
  | { readonly type: 'complete' };

/** How long a stopped worker may take to disconnect its producer before it is terminated. */
const STOP_GRACE_MS = 2000;

const WORKER_MODULE = new URL(`./kafka-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

function errorOf(error: { name: string; message: string; retriable: boolean }): Error {
  if (error.name === 'ConfigError') return new ConfigError(error.message);
  return new SinkWriteError(`${error.name}: ${error.message}`, { service: 'kafka' }, { retriable: error.retriable });
}

/** `toKafka` in a worker thread (see the module doc); one worker per subscription. */
export function toKafkaInWorker(options: KafkaWorkerOptions): OperatorFunction<RecordBatch, WriteAck> {
  return (batches) => new Observable<WriteAck>((subscriber) => {
    const worker = startModuleWorker(WORKER_MODULE);
    let finished = false;
    const post = (message: KafkaWorkerIn, transfer?: ArrayBuffer[]): void => worker.postMessage(message, transfer);
    worker.on('message', (message: KafkaWorkerOut) => {
      if (message.type === 'ack') subscriber.next(message.ack);
      else if (message.type === 'log') emitClientLog(message.entry);
      else if (message.type === 'error') { finished = true; subscriber.error(errorOf(message.error)); }
      else { finished = true; subscriber.complete(); }
    });
    worker.on('error', (error) => { finished = true; subscriber.error(new SinkWriteError(`Kafka sink worker failed: ${error.message}`, { service: 'kafka' }, { retriable: false, cause: error })); });
    worker.on('exit', (code) => {
      if (!finished) subscriber.error(new SinkWriteError(`Kafka sink worker exited (code ${code}) before the batches were acknowledged`, { service: 'kafka' }, { retriable: false }));
    });
    post({ type: 'start', options, logLevel: clientLogLevel() });
    const subscription = batches.subscribe({
      next: (batch) => {
        try {
          recordsOf(batch, 'kafka');
        } catch (error) {
          subscriber.error(error);
          return;
        }
        const columnar = toColumns(batch);
        if (columnar === undefined) post({ type: 'batch', batch });
        else post({ type: 'columns', batch: columnar.batch }, columnar.transfer);
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => post({ type: 'complete' }),
    });
    return () => {
      finished = true;
      subscription.unsubscribe();
      post({ type: 'stop' });
      setTimeout(() => void worker.terminate(), STOP_GRACE_MS).unref();
    };
  });
}
