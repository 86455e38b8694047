/**
 * Handing record batches to the Kafka sink's worker thread (`npm run bench -- handoff`): the per-record cost
 * on each side of the thread hop, as objects (structured clone) and as columns with transferred buffers
 * (connectors/kafka/columnar-batch.ts), on the real COIN-M aggTrades archive fixture cut into batches of
 * 2,000 records (the live pipeline's batch size). Sender: toColumns + postMessage, or postMessage alone.
 * Receiver: receiveMessageOnPort (which deserializes) + fromColumns, or receiveMessageOnPort alone. Both
 * sides run on this thread over a MessageChannel, alternated 7 times; the medians are printed. No target:
 * context for the speed layer's Kafka latency (issue #4), where the thread that reads the sockets is the
 * busiest one.
 */
import { statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { parseTypeRequests, planArchiveFiles } from '../connectors/binance-archive/plan.js';
import { parseArchiveFile } from '../connectors/binance-archive/parse-archive-file.js';
import { fromColumns, toColumns, type ColumnarBatch } from '../connectors/kafka/columnar-batch.js';
import type { RecordBatch } from '../connectors/sink.js';
import type { AnyRecord } from '../schemas/index.js';
import { realFixture } from '../test/support/fixtures.js';
import type { BenchResult } from './result.js';

const FIXTURE = 'BTCUSD_PERP-aggTrades-2026-05-08.zip';
const BATCH = 2000;

async function fixtureBatches(): Promise<RecordBatch[]> {
  const [file] = planArchiveFiles({ markets: ['cm'], symbols: ['BTCUSD_PERP'], types: parseTypeRequests(['aggTrades']), fromDay: '2026-05-08', toDay: '2026-05-08' });
  const records: AnyRecord[] = [];
  const path = realFixture(FIXTURE);
  for await (const chunk of parseArchiveFile(path, statSync(path).size, file, { version: 1 })) records.push(...chunk.records);
  const batches: RecordBatch[] = [];
  for (let i = 0; i + BATCH <= records.length; i += BATCH) batches.push({ kind: 'aggTrade', unitId: `u${i}`, records: records.slice(i, i + BATCH) });
  return batches;
}

interface Round { send: number; receive: number }

/** µs per record to post every batch, then to receive them all. */
function round(batches: readonly RecordBatch[], columns: boolean): Round {
  const { port1, port2 } = new MessageChannel();
  let sink = 0;
  const sent = performance.now();
  for (const batch of batches) {
    const columnar = columns ? toColumns(batch) : undefined;
    if (columnar !== undefined) port1.postMessage(columnar.batch, columnar.transfer);
    else port1.postMessage(batch);
  }
  const received = performance.now();
  for (let message = receiveMessageOnPort(port2); message !== undefined; message = receiveMessageOnPort(port2)) {
    const batch = columns ? fromColumns(message.message as ColumnarBatch) : message.message as RecordBatch;
    sink += batch.records.length;
  }
  const done = performance.now();
  port1.close();
  const records = batches.length * BATCH;
  if (sink !== records) throw new Error(`handoff bench: ${sink} records received of ${records}`);
  return { send: ((received - sent) * 1000) / records, receive: ((done - received) * 1000) / records };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Runs the handoff benchmark. */
export async function benchHandoff(): Promise<BenchResult[]> {
  const batches = await fixtureBatches();
  round(batches, false);
  round(batches, true);
  const objects: Round[] = [];
  const columns: Round[] = [];
  for (let i = 0; i < 7; i++) {
    objects.push(round(batches, false));
    columns.push(round(batches, true));
  }
  const records = `${(batches.length * BATCH).toLocaleString('en-US')} aggTrades in batches of ${BATCH}`;
  const result = (side: 'send' | 'receive', label: string): BenchResult[] => [
    { name: `handoff to the Kafka worker, ${label}: objects (structured clone)`, value: median(objects.map((r) => r[side])), unit: 'µs/record', note: `${records}, median of 7` },
    { name: `handoff to the Kafka worker, ${label}: columns (transferred)`, value: median(columns.map((r) => r[side])), unit: 'µs/record', note: `${records}, median of 7` },
  ];
  return [...result('send', 'sending thread'), ...result('receive', 'worker side')];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const result of await benchHandoff()) console.log(JSON.stringify(result));
}
