/**
 * Speed-layer benchmark: a replay server in a worker thread plays the real COIN-M aggTrades archive in a
 * loop at `BENCH_LIVE_RATE` events/s (default 50 000) into `fromBinanceLive` on the main thread, once per
 * pace in `BENCH_LIVE_PACE` (default `even,recorded`: a constant push, then the archive's own bursts at the
 * same mean; see {@link Pace}). Measures frame received → record emitted latency (p50/p99), and, when
 * KAFKA_BROKERS and SCHEMA_REGISTRY_URL are set, frame received → Kafka acknowledged (the Kafka sink on its
 * worker thread, as `lakehouse stream` runs it; small batches): the ack is the broker's produce response
 * reaching the producer, stamped on the sink's thread (`WriteAck.ackedAtMs`), and, for context, the same ack
 * once the reading thread's event loop picks it up. Also loss (events sent − records received, and gaps)
 * and the RSS slope over the run. `BENCH_LIVE_SECONDS` sets each run's duration (default 20; the 10-minute
 * run is 600); `BENCH_LIVE_TRACE=<path>` writes each 250 ms window of receive time (records, records over
 * the target, worst latency) to `<path>.<pace>.jsonl`, to line the tail up with the broker's GC log; `BENCH_LIVE_KAFKA_THREAD=main` runs the Kafka sink on the client's thread instead of its
 * worker (for comparison); latencies skip the first `BENCH_LIVE_WARMUP_SECONDS` (default 5: producer connect,
 * topic creation, schema registration). Server, client and broker share the machine's cores, so this is a
 * lower bound.
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Subject, takeUntil, tap } from 'rxjs';
import { realFixture } from '../test/support/fixtures.js';
import type { BenchResult } from './result.js';

const FIXTURE = 'BTCUSD_PERP-aggTrades-2026-05-08.zip';
/** The target: frame received → Kafka acknowledged p99, ms. */
const KAFKA_TARGET_MS = 25;

/** Latency histogram: 1 µs buckets below 100 ms, 1 ms buckets up to 100 s. */
class Histogram {
  private readonly buckets = new Uint32Array(100_000 + 100_000);
  count = 0;
  add(ms: number): void {
    const i = ms < 100 ? Math.max(0, Math.round(ms * 1000)) : 100_000 + Math.min(99_999, Math.round(ms));
    this.buckets[i]++;
    this.count++;
  }
  percentile(p: number): number {
    let seen = 0;
    const target = Math.ceil(this.count * p);
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i];
      if (seen >= target) return i < 100_000 ? i / 1000 : i - 100_000;
    }
    return Number.NaN;
  }
}

/** Where the records over the target were: how many 250 ms windows held any, and the worst ones. */
function lateWindows(windows: readonly ({ records: number; late: number } | undefined)[]): string {
  const measured = windows.filter((w) => w !== undefined && w.records > 0) as { records: number; late: number }[];
  const late = measured.filter((w) => w.late > 0).sort((a, b) => b.late / b.records - a.late / a.records);
  const worst = late.slice(0, 3).map((w) => `${Math.round((100 * w.late) / w.records)} %`).join(', ');
  return `records over ${KAFKA_TARGET_MS} ms in ${late.length} of ${measured.length} 250-ms windows${late.length > 0 ? ` (worst: ${worst} of theirs)` : ''}`;
}

/** The lowest (t, y) of each `spanMs` of t. */
function troughsOf(points: readonly [number, number][], spanMs: number): [number, number][] {
  const lowest = new Map<number, [number, number]>();
  for (const p of points) {
    const span = Math.floor(p[0] / spanMs);
    const seen = lowest.get(span);
    if (seen === undefined || p[1] < seen[1]) lowest.set(span, p);
  }
  return [...lowest.values()];
}

/** Least-squares slope of (t, y) in y-units per minute. */
function slopePerMinute(points: readonly [number, number][]): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mt = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  const num = points.reduce((s, p) => s + (p[0] - mt) * (p[1] - my), 0);
  const den = points.reduce((s, p) => s + (p[0] - mt) ** 2, 0);
  return (num / den) * 60_000;
}

async function serverWorker(): Promise<void> {
  const { feedFromArchiveFile } = await import('../connectors/binance-replay/archive-csv.js');
  const { startReplayServer } = await import('../connectors/binance-replay/replay-server.js');
  const feed = await feedFromArchiveFile(realFixture(FIXTURE), 'cm');
  const spanMs = feed.events.at(-1)!.timeMs - feed.events[0].timeMs;
  const { rate, pace } = workerData as { rate: number; pace: Pace };
  const speed = (rate * spanMs) / 1000 / feed.events.length;
  const server = await startReplayServer({ feed, ...(pace === 'even' ? { rate } : { speed }), loop: true });
  parentPort!.postMessage({ type: 'ready', wsUrl: server.wsUrl, restUrl: server.restUrl });
  parentPort!.on('message', async () => {
    await server.close();
    parentPort!.postMessage({ type: 'stats', stats: server.stats });
  });
}

/**
 * How the server paces the feed: `even` pushes `rate` events/s evenly spaced (the target's constant load);
 * `recorded` keeps the archive's own pace, sped up to a `rate` mean, so the market's bursts stay in
 * (a day of BTCUSD_PERP aggTrades at a 50,000/s mean peaks at ~135,000/s over 100 ms, 750 in 1 ms).
 */
type Pace = 'even' | 'recorded';

/** Runs the live benchmark: one run per pace in `BENCH_LIVE_PACE` (default `even,recorded`), each with its own server. */
export async function benchLive(): Promise<BenchResult[]> {
  const paces = (process.env.BENCH_LIVE_PACE ?? 'even,recorded').split(',').map((p) => p.trim());
  for (const pace of paces) if (pace !== 'even' && pace !== 'recorded') throw new Error(`BENCH_LIVE_PACE: ${pace} is neither even nor recorded`);
  const results: BenchResult[] = [];
  for (const pace of paces as Pace[]) {
    const label = pace === 'even' ? 'even pace' : 'archive pace, bursts kept';
    for (const r of await benchLivePace(pace)) results.push({ ...r, name: r.name.replace(/^live:/, `live (${label}):`) });
  }
  return results;
}

async function benchLivePace(pace: Pace): Promise<BenchResult[]> {
  const seconds = Number(process.env.BENCH_LIVE_SECONDS ?? 20);
  const rate = Number(process.env.BENCH_LIVE_RATE ?? 50_000);
  // Worker entry as eval code: Node 20 workers do not apply the parent's tsx loader to a .ts entry.
  const entry = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const worker = new Worker(entry, { eval: true, workerData: { rate, pace } });
  const ready = await new Promise<{ wsUrl: string; restUrl: string }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const { fromBinanceLive, newLiveStats } = await import('../connectors/binance-live/from-binance-live.js');
  const now = (): number => performance.timeOrigin + performance.now();
  const stats = newLiveStats();
  const toRecord = new Histogram();
  const toKafka = new Histogram();
  const toAckSeen = new Histogram();
  // Per 250 ms of receive time: records, and records acknowledged later than the target (is the tail a few stalls or spread out?).
  const windows: { records: number; late: number; maxMs: number }[] = [];
  const stop = new Subject<void>();
  const rss: [number, number][] = [];
  const started = now();
  const warmupEndMs = started + Number(process.env.BENCH_LIVE_WARMUP_SECONDS ?? 5) * 1000;
  let firstRecordMs = 0;
  const source = fromBinanceLive({ market: 'cm', symbols: ['BTCUSD_PERP'], types: ['aggTrade'], wsUrl: ready.wsUrl, restUrl: ready.restUrl, stats, now, stallTimeoutMs: 10_000 })
    .pipe(tap((r) => { if (firstRecordMs === 0) firstRecordMs = now(); if (r.receiveTimeUs !== null && r.receiveTimeUs / 1000 >= warmupEndMs) toRecord.add(now() - r.receiveTimeUs / 1000); }), takeUntil(stop));
  const heap: [number, number][] = []; // the reading thread's heap in use, sampled 10 times a second
  const sampler = setInterval(() => rss.push([now() - started, process.memoryUsage().rss / 1e6]), 1000);
  const heapSampler = setInterval(() => heap.push([now() - started, process.memoryUsage().heapUsed / 1e6]), 100);
  const stopper = setTimeout(() => stop.next(), seconds * 1000);
  const kafka = process.env.KAFKA_BROKERS !== undefined && process.env.SCHEMA_REGISTRY_URL !== undefined;
  if (kafka) {
    const { toKafkaInWorker } = await import('../connectors/kafka/to-kafka-worker.js');
    const { toKafka: toKafkaHere } = await import('../connectors/kafka/to-kafka.js');
    const { prefixedTopicFor } = await import('../connectors/kafka/topic-for.js');
    // BENCH_LIVE_KAFKA_THREAD=main runs the sink on the client's thread (for comparison), else on its worker.
    const sinkOf = (o: Parameters<typeof toKafkaInWorker>[0]) => (process.env.BENCH_LIVE_KAFKA_THREAD === 'main'
      ? toKafkaHere({ ...o, topicOf: prefixedTopicFor(o.topicPrefix) })
      : toKafkaInWorker(o));
    const { runLive } = await import('../pipelines/live-run.js');
    await runLive({
      source, stats, signal: new AbortController().signal, now, batches: { windowMs: Number(process.env.BENCH_LIVE_BATCH_MS ?? 5), maxRows: 2000 },
      sinks: [sinkOf({ kafka: { brokers: process.env.KAFKA_BROKERS!.split(',') }, registry: { url: process.env.SCHEMA_REGISTRY_URL! }, topicPrefix: `bench${process.pid}${pace}.` })],
      onAcked: (batch, ackedAtMs, seenAtMs) => {
        for (const r of batch.records) {
          if (r.receiveTimeUs === null || r.receiveTimeUs / 1000 < warmupEndMs) continue;
          const latencyMs = ackedAtMs - r.receiveTimeUs / 1000;
          toKafka.add(latencyMs);
          const w = (windows[Math.floor((r.receiveTimeUs / 1000 - started) / 250)] ??= { records: 0, late: 0, maxMs: 0 });
          w.records++;
          if (latencyMs > w.maxMs) w.maxMs = latencyMs;
          if (latencyMs > KAFKA_TARGET_MS) w.late++;
          toAckSeen.add(seenAtMs - r.receiveTimeUs / 1000);
        }
      },
    });
  } else {
    await new Promise<void>((resolve, reject) => source.subscribe({ complete: resolve, error: reject }));
  }
  clearInterval(sampler);
  clearInterval(heapSampler);
  clearTimeout(stopper);
  const served = await new Promise<{ framesSent: number }>((resolve) => {
    worker.on('message', (m: { type: string; stats: { framesSent: number } }) => { if (m.type === 'stats') resolve(m.stats); });
    worker.postMessage('stop');
  });
  await worker.terminate();
  const elapsedS = (now() - firstRecordMs) / 1000;
  if (process.env.BENCH_LIVE_TRACE !== undefined) {
    // Per 250 ms window (wall-clock start, ms since the epoch): records, records over the target, worst latency.
    const lines = windows.map((w, i) => (w === undefined ? '' : `${JSON.stringify({ atMs: Math.round(started + i * 250), ...w, maxMs: Number(w.maxMs.toFixed(2)) })}\n`));
    writeFileSync(`${process.env.BENCH_LIVE_TRACE}.${pace}.jsonl`, lines.join(''));
  }
  const late = rss.filter(([t]) => t >= (seconds * 1000) / 3);
  const results: BenchResult[] = [
    { name: 'live: events/s through fromBinanceLive', value: Math.round(stats.records / elapsedS), unit: 'events/s', target: rate, ratio: stats.records / elapsedS / rate, note: `${stats.records} records in ${elapsedS.toFixed(1)} s; server sent ${served.framesSent} frames` },
    { name: 'live: frame→record p50', value: toRecord.percentile(0.5), unit: 'ms' },
    { name: 'live: frame→record p99', value: toRecord.percentile(0.99), unit: 'ms' },
    { name: 'live: frames sent but not received at stop', value: Math.max(0, served.framesSent - stats.frames), unit: 'frames', note: `gaps ${stats.gaps}, reconnects ${stats.reconnects}, dead letters ${stats.deadLetters} (in-flight frames at the stop are not loss)` },
    { name: 'live: RSS slope (after first third)', value: Number(slopePerMinute(late).toFixed(2)), unit: 'MB/min', note: `RSS ${late[0]?.[1].toFixed(0) ?? '?'} → ${late.at(-1)?.[1].toFixed(0) ?? '?'} MB over ${seconds} s` },
    (() => {
      // A leak shows in what survives collections: the lowest heap of each 10 s, after the first third.
      const troughs = troughsOf(heap.filter(([t]) => t >= (seconds * 1000) / 3), 10_000);
      return { name: 'live: reading thread heap after GC, slope', value: Number(slopePerMinute(troughs).toFixed(2)), unit: 'MB/min', note: `lowest heap in use per 10 s: ${troughs[0]?.[1].toFixed(0) ?? '?'} → ${troughs.at(-1)?.[1].toFixed(0) ?? '?'} MB (RSS also holds the server's and the Kafka sink's threads)` };
    })(),
  ];
  if (kafka) {
    results.push(
      { name: 'live: frame→Kafka ack p50', value: toKafka.percentile(0.5), unit: 'ms', note: `toKafka, batches of ≤ ${process.env.BENCH_LIVE_BATCH_MS ?? 5} ms / 2000 rows, ${toKafka.count} records after warm-up` },
      { name: 'live: frame→Kafka ack p99', value: toKafka.percentile(0.99), unit: 'ms', target: KAFKA_TARGET_MS, ratio: KAFKA_TARGET_MS / toKafka.percentile(0.99), note: `ack = the broker's produce response reaching the producer (stamped on the Kafka sink's thread); ${lateWindows(windows)}` },
      { name: 'live: frame→ack seen by the pipeline thread p50', value: toAckSeen.percentile(0.5), unit: 'ms', note: 'context: the same acks once the reading thread\'s event loop picks them up (back-pressure counts here)' },
      { name: 'live: frame→ack seen by the pipeline thread p99', value: toAckSeen.percentile(0.99), unit: 'ms' },
    );
  } else {
    results.push({ name: 'live: frame→Kafka ack', value: 0, unit: 'ms', note: 'not measured: KAFKA_BROKERS/SCHEMA_REGISTRY_URL not set' });
  }
  return results;
}

if (!isMainThread && (workerData as { rate?: number } | null)?.rate !== undefined) await serverWorker();
