/**
 * The worker side of {@link toKafkaInWorker} (to-kafka-worker.ts): runs `toKafka` on the batches the owner
 * posts and posts back its acknowledgements, its error or its completion. Messages in: `{ type: 'start',
 * options, logLevel }` once, then `columns` or `batch`, `complete`, or `stop` (tear down now). Out: `ack`, `error`,
 * `complete`, and `log` (kafkajs' log lines, for the owner's log).
 */
import { parentPort } from 'node:worker_threads';
import { Subject } from 'rxjs';
import { routeClientLogs } from '../client-logs.js';
import type { RecordBatch } from '../sink.js';
import { fromColumns } from './columnar-batch.js';
import { toKafka } from './to-kafka.js';
import { prefixedTopicFor } from './topic-for.js';
import type { KafkaWorkerIn, KafkaWorkerOut } from './to-kafka-worker.js';

const port = parentPort;
if (port === null) throw new Error('kafka-worker.ts runs as a worker thread (see to-kafka-worker.ts)');
const post = (message: KafkaWorkerOut): void => port.postMessage(message);
const batches = new Subject<RecordBatch>();
let stop: (() => void) | undefined;

port.on('message', (message: KafkaWorkerIn) => {
  switch (message.type) {
    case 'start': {
      routeClientLogs((entry) => post({ type: 'log', entry }), message.logLevel);
      const { topicPrefix, ...options } = message.options;
      const subscription = batches.pipe(toKafka({ ...options, topicOf: prefixedTopicFor(topicPrefix) })).subscribe({
        next: (ack) => post({ type: 'ack', ack }),
        error: (error: unknown) => {
          const e = error as { name?: string; message?: string; retriable?: boolean };
          post({ type: 'error', error: { name: e.name ?? 'Error', message: e.message ?? String(error), retriable: e.retriable === true } });
        },
        complete: () => post({ type: 'complete' }),
      });
      stop = () => subscription.unsubscribe();
      return;
    }
    case 'batch': batches.next(message.batch); return;
    case 'columns': batches.next(fromColumns(message.batch)); return;
    case 'complete': batches.complete(); return;
    case 'stop': stop?.(); port.close(); return;
  }
});
