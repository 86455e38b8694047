/**
 * Kafka sink benchmark (`npm run bench -- kafka`): `toKafka` against the real broker and registry named by
 * KAFKA_BROKERS and SCHEMA_REGISTRY_URL (without them it returns one result with a note). Two measurements on
 * spot trades of `BENCH_KAFKA_SYMBOLS` symbols (default 1: one busy stream, one partition) to per-run topics:
 *  - throughput: `BENCH_KAFKA_ROWS` (default 100 000) records in RecordBatches of `BENCH_KAFKA_BATCH_ROWS`
 *    (default 10 000, the stream command's `--batch-rows`), emitted at once, rows/s until the last ack;
 *  - latency: `BENCH_KAFKA_RATE` events/s (default 50 000) cut into a batch every `BENCH_KAFKA_WINDOW_MS`
 *    (default 5) for `BENCH_KAFKA_SECONDS` (default 10), each batch handed to the sink at its window's end as
 *    the live pipeline does (one after another, the next after the previous ack); latency per record is
 *    batch emitted → Kafka ack (the window's wait, ≤ window ms, comes on top), p50/p99 over records.
 */
import { performance } from 'node:perf_hooks';
import { Observable, Subject, concatMap, filter, lastValueFrom, tap, toArray } from 'rxjs';
import type { RecordBatch, WriteAck } from '../connectors/sink.js';
import { makeVersion, type TradeRecord } from '../schemas/index.js';
import type { BenchResult } from './result.js';

const START_US = 1_777_593_600_000_000;

/** `count` spot trades round-robin over `symbols` symbols, ids increasing per symbol from `first`. */
function trades(count: number, symbols: number, first = 0): TradeRecord[] {
  const version = makeVersion('ws', 1_777_700_000_000);
  return Array.from({ length: count }, (_, i) => {
    const n = first + i;
    return {
      kind: 'trade', exchange: 'binance', market: 'spot', symbol: `S${n % symbols}USDT`, eventTimeUs: START_US + n * 1000,
      source: 'ws', receiveTimeUs: START_US + n * 1000 + 300, ingestId: 'bench', version, tradeId: 4_000_000_000 + Math.floor(n / symbols),
      price: 64_000.01 + (n % 97) * 0.01, qty: 0.00012 + (n % 13) * 1e-5, quoteQty: null, contracts: null, baseQty: null,
      isBuyerMaker: n % 2 === 0, isBestMatch: true,
    };
  });
}

/** Sorted-array percentile. */
const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)] ?? Number.NaN;

type Sink = (batches: Observable<RecordBatch>) => Observable<WriteAck>;

async function throughput(sink: Sink, rows: number, batchRows: number, symbols: number): Promise<BenchResult> {
  const records = trades(rows, symbols);
  const batches: RecordBatch[] = [];
  for (let i = 0; i < rows; i += batchRows) batches.push({ kind: 'trade', unitId: `tp#${i}`, records: records.slice(i, i + batchRows) });
  // Connect, topic creation and schema registration first (one small batch, acked), then the timed batches.
  const input = new Subject<RecordBatch>();
  let started = 0;
  const done = lastValueFrom(input.pipe(sink, tap((ack) => {
    if (ack.unitId !== 'warmup') return;
    started = performance.now();
    for (const batch of batches) input.next(batch);
    input.complete();
  }), filter((ack) => ack.unitId !== 'warmup'), toArray()));
  input.next({ kind: 'trade', unitId: 'warmup', records: trades(10, symbols, 1_000_000_000) });
  const acks = await done;
  const seconds = (performance.now() - started) / 1000;
  const acked = acks.reduce((s, a) => s + a.rows, 0);
  return { name: `kafka: toKafka throughput, batches of ${batchRows}`, value: Math.round(acked / seconds), unit: 'rows/s', note: `${acked} trades of ${symbols} symbol(s) in ${seconds.toFixed(2)} s` };
}

/** Hands the sink one batch at a time, the next after the previous ack, as runLive's writer does today. */
function oneAtATime(sink: Sink): Sink {
  return (batches) => new Observable<WriteAck>((subscriber) => {
    const toSink = new Subject<RecordBatch>();
    const waiting = new Map<string, () => void>();
    const acks = toSink.pipe(sink).subscribe({ next: (ack) => { waiting.get(ack.unitId)?.(); subscriber.next(ack); }, error: (e: unknown) => subscriber.error(e) });
    const input = batches.pipe(concatMap((batch) => new Promise<void>((resolve) => { waiting.set(batch.unitId, resolve); toSink.next(batch); })))
      .subscribe({ error: (e: unknown) => subscriber.error(e), complete: () => { toSink.complete(); subscriber.complete(); } });
    return () => { input.unsubscribe(); acks.unsubscribe(); };
  });
}

async function latency(sink: Sink, mode: 'queued' | 'one at a time', rate: number, windowMs: number, seconds: number, symbols: number): Promise<BenchResult[]> {
  const perBatch = Math.max(1, Math.round((rate * windowMs) / 1000));
  const input = new Subject<RecordBatch>();
  const emittedAt = new Map<string, number>();
  const latencies: number[] = [];
  let lastAckMs = 0;
  let warmedUp: () => void = () => undefined;
  const warm = new Promise<void>((resolve) => { warmedUp = resolve; });
  const finished = new Promise<void>((resolve, reject) => input.pipe(mode === 'queued' ? sink : oneAtATime(sink)).subscribe({
    next: (ack) => {
      const t = performance.now();
      if (ack.unitId === 'warmup') { warmedUp(); return; }
      lastAckMs = t;
      const at = emittedAt.get(ack.unitId) ?? t;
      for (let i = 0; i < ack.rows; i++) latencies.push(t - at);
    },
    complete: resolve, error: reject,
  }));
  input.next({ kind: 'trade', unitId: 'warmup', records: trades(perBatch, symbols, 1_000_000_000) });
  await warm; // connect, topic creation and schema registration are not part of the measurement
  const started = performance.now();
  let sent = 0;
  while (performance.now() - started < seconds * 1000) {
    const due = Math.floor((performance.now() - started) / windowMs);
    for (; sent < due; sent++) {
      const unitId = `lat#${sent}`;
      emittedAt.set(unitId, performance.now());
      input.next({ kind: 'trade', unitId, records: trades(perBatch, symbols, sent * perBatch) });
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  input.complete();
  await finished;
  const sorted = latencies.sort((a, b) => a - b);
  const achieved = sorted.length / ((lastAckMs - started) / 1000);
  const note = `${rate} events/s in ${windowMs} ms batches of ${perBatch} for ${seconds} s, ${mode}; window wait not included`;
  return [
    { name: `kafka (${mode}): rows/s acked at offered rate`, value: Math.round(achieved), unit: 'rows/s', target: rate, ratio: achieved / rate, note },
    { name: `kafka (${mode}): batch emitted→ack p50`, value: Number(percentile(sorted, 0.5).toFixed(2)), unit: 'ms' },
    { name: `kafka (${mode}): batch emitted→ack p99`, value: Number(percentile(sorted, 0.99).toFixed(2)), unit: 'ms', target: 25, ratio: 25 / percentile(sorted, 0.99) },
  ];
}

/** Runs the Kafka sink benchmark. */
export async function benchKafka(): Promise<BenchResult[]> {
  const brokers = process.env.KAFKA_BROKERS;
  const registryUrl = process.env.SCHEMA_REGISTRY_URL;
  if (brokers === undefined || registryUrl === undefined) {
    return [{ name: 'kafka: toKafka', value: 0, unit: 'rows/s', note: 'not measured: KAFKA_BROKERS/SCHEMA_REGISTRY_URL not set' }];
  }
  const { toKafka } = await import('../connectors/kafka/to-kafka.js');
  const { topicFor } = await import('../connectors/kafka/topic-for.js');
  const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
  const symbols = env('BENCH_KAFKA_SYMBOLS', 1);
  const run = `bench${Date.now().toString(36)}`;
  const sink = (stage: string): Sink => toKafka({ kafka: { brokers: brokers.split(',') }, registry: { url: registryUrl }, topicOf: (r) => `${run}${stage}.${topicFor(r)}` });
  const results = [await throughput(sink('t'), env('BENCH_KAFKA_ROWS', 100_000), env('BENCH_KAFKA_BATCH_ROWS', 10_000), symbols)];
  for (const mode of ['queued', 'one at a time'] as const) results.push(...await latency(sink(mode === 'queued' ? 'q' : 's'), mode, env('BENCH_KAFKA_RATE', 50_000), env('BENCH_KAFKA_WINDOW_MS', 5), env('BENCH_KAFKA_SECONDS', 10), symbols));
  return results;
}
