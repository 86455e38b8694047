/**
 * Operator benchmark (`npm run bench`, or `node --import tsx bench/operators.ts [minutes]` alone):
 * validate → dedupe → resample (1m → 5m, 1h; input passed through) over 1m klines of 1,000 symbols,
 * interleaved minute by minute as a multi-symbol topic delivers them, in one process, against the target of
 * 2,000,000 records/s. The state size (identities held by dedupe + windows held by resample) is sampled at
 * 1/4, 1/2 and the end of the input (before completion flushes): it must not grow with the number of records.
 *
 * Input, two ways: *hot* — the 1,000 records of a minute are re-emitted with the next minute's times (the
 * operators keep no reference to input records), so records arrive warm in cache as a parser hands them
 * over; *cold* — 600,000 distinct records built beforehand, read once from main memory (~300 MB of objects),
 * which measures memory bandwidth as much as the operators.
 */
import { Session } from 'node:inspector';
import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { from, Observable, tap } from 'rxjs';
import { dedupe } from '../operators/dedupe.js';
import { resample } from '../operators/resample.js';
import { validate } from '../operators/validate.js';
import { makeVersion, type KlineRecord } from '../schemas/index.js';
import type { BenchResult } from './result.js';

const TARGET_RECORDS_PER_S = 2_000_000;
const SYMBOLS = 1_000;
const START_US = 1_777_593_600_000_000; // 2026-05-01T00:00:00Z
const MINUTE_US = 60_000_000;

/** 1m klines of `symbolCount` symbols for `minutes` minutes, interleaved by minute (deterministic). */
export function interleavedKlines(minutes: number, symbolCount = SYMBOLS, firstMinute = 0): KlineRecord[] {
  const symbols = Array.from({ length: symbolCount }, (_, i) => `S${i}USDT`);
  const version = makeVersion('archive', 1_777_700_000_000);
  const out: KlineRecord[] = new Array(minutes * symbolCount);
  let n = 0;
  for (let m = firstMinute; m < firstMinute + minutes; m++) {
    const openTimeUs = START_US + m * MINUTE_US;
    for (let s = 0; s < symbolCount; s++) {
      const open = 100.25 + ((m * 7 + s) % 13) * 0.01;
      out[n++] = {
        kind: 'kline', exchange: 'binance', market: 'um', symbol: symbols[s], eventTimeUs: openTimeUs, source: 'archive',
        receiveTimeUs: null, ingestId: 'bench', version, priceKind: 'trade', interval: '1m', openTimeUs,
        closeTimeUs: openTimeUs + MINUTE_US - 1000, open, high: open + 2, low: open - 1, close: open + 1, volume: 10.125 + s,
        quoteVolume: 1000.5 + s, contracts: null, baseVolume: null, tradeCount: 5, takerBuyVolume: 5.5, takerBuyQuoteVolume: 500.25,
        takerBuyContracts: null, takerBuyBaseVolume: null, isClosed: true,
      };
    }
  }
  return out;
}

/** The hot input: one minute's records re-emitted with each next minute's times. */
function hotKlines(minutes: number): Observable<KlineRecord> {
  return new Observable<KlineRecord>((subscriber) => {
    const ring = interleavedKlines(1);
    for (let m = 0; m < minutes && !subscriber.closed; m++) {
      const openTimeUs = START_US + m * MINUTE_US;
      for (let i = 0; i < ring.length; i++) {
        const record = ring[i];
        record.eventTimeUs = record.openTimeUs = openTimeUs;
        record.closeTimeUs = openTimeUs + MINUTE_US - 1000;
        subscriber.next(record);
      }
    }
    subscriber.complete();
  });
}

interface Run { seconds: number; cpuSeconds: number; emitted: number; stateSamples: number[] }

/**
 * Where the chain's output goes: a ring of the last 1,024 records, as a batching sink holds them. A consumer
 * that only counted would let the optimiser drop the output records unbuilt (escape analysis) in some runs
 * and not others — flattering, and one more source of run-to-run spread.
 */
const SINK: unknown[] = new Array<unknown>(1024);

function runChain(source: Observable<KlineRecord>, count: number): Run {
  let identities = (): number => 0;
  let windows = (): number => 0;
  const samples: number[] = [];
  const sampleAt = [Math.floor(count / 4), Math.floor(count / 2), count];
  let next = 0;
  let seen = 0;
  let emitted = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  source.pipe(
    tap(() => {
      if (++seen === sampleAt[next]) { next++; samples.push(-1); }
    }),
    validate(),
    dedupe({ stateProbe: (probe) => { identities = probe; } }),
    resample({ intervals: ['5m', '1h'], stateProbe: (probe) => { windows = probe; } }),
  ).subscribe({
    next: (record) => {
      SINK[emitted++ & 1023] = record;
      if (samples.length > 0 && samples[samples.length - 1] === -1) samples[samples.length - 1] = identities() + windows();
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6, emitted, stateSamples: samples };
}

/**
 * Bytes allocated per input record by one hot run, from V8's sampling heap profiler (objects collected
 * since included). Unlike throughput it does not depend on how busy the machine is: the output klines
 * are most of it (~440 bytes each, one per 4.6 inputs); the rest is per-record garbage.
 */
async function allocatedPerRecord(minutes: number): Promise<number> {
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}): Promise<unknown> => new Promise((resolve, reject) => {
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result)));
  });
  try {
    await post('HeapProfiler.enable');
    await post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    runChain(hotKlines(minutes), minutes * SYMBOLS);
    const { profile } = await post('HeapProfiler.stopSampling') as { profile: { head: ProfileNode } };
    return total(profile.head) / (minutes * SYMBOLS);
  } finally {
    session.disconnect();
  }
}

interface ProfileNode { selfSize: number; children: ProfileNode[] }

function total(node: ProfileNode): number {
  return node.children.reduce((sum, child) => sum + total(child), node.selfSize);
}

/**
 * A probe of the host's memory latency: 20 M random reads and writes over 32 MB, in ms. On this project's
 * shared 2-core host the same loop varies by up to 2× between quiet and busy periods of its neighbours, and
 * the operator chain's rate moves with it (it is partly bound by memory): printed before and after the runs
 * so that a low reading can be told from a regression (compare with the probe of a good run).
 */
function memoryProbeMs(): number {
  const size = 4 << 20;
  const cells = new Float64Array(size);
  let j = 1;
  let sum = 0;
  const started = performance.now();
  for (let i = 0; i < 20_000_000; i++) {
    j = (j * 1103515245 + 12345) & (size - 1);
    sum += cells[j];
    cells[j] = i;
  }
  const ms = performance.now() - started;
  if (Number.isNaN(sum)) throw new Error('memory probe: NaN'); // uses the sum, so the loop is not optimised away
  return ms;
}

/** Runs the operator benchmark: throughput of validate → dedupe → resample and the state size it holds. */
export async function benchOperators(minutes = 2000): Promise<BenchResult[]> {
  const count = minutes * SYMBOLS;
  const probeBefore = memoryProbeMs();
  runChain(hotKlines(30), 30 * SYMBOLS);
  const small = runChain(hotKlines(minutes / 10), count / 10);
  // Best of 5: the fastest run is the one least disturbed (this chain is partly memory-bound, and a shared
  // machine's memory bandwidth varies by ±20 % from second to second even when its CPU does not).
  const hot = [0, 1, 2, 3, 4].map(() => runChain(hotKlines(minutes), count)).sort((a, b) => a.seconds - b.seconds)[0];
  const coldRecords = interleavedKlines(600);
  const cold = [0, 1].map(() => runChain(from(coldRecords), coldRecords.length)).sort((a, b) => a.seconds - b.seconds)[0];
  const bytesPerRecord = await allocatedPerRecord(minutes / 4);
  const probeAfter = memoryProbeMs();
  const rate = count / hot.seconds;
  const cpuRate = count / hot.cpuSeconds;
  const coldRate = coldRecords.length / cold.seconds;
  const load = `machine load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores; memory probe ${probeBefore.toFixed(0)} / ${probeAfter.toFixed(0)} ms before / after`;
  return [
    {
      name: 'operators: validate → dedupe → resample 1m→5m,1h (1,000 symbols interleaved)',
      value: Math.round(rate), unit: 'records/s', target: TARGET_RECORDS_PER_S, ratio: rate / TARGET_RECORDS_PER_S,
      note: `hot input, wall clock, best of 5: ${count.toLocaleString('en-US')} klines in ${hot.seconds.toFixed(2)} s, `
        + `${hot.emitted.toLocaleString('en-US')} records out; ${load}`,
    },
    {
      name: 'operators: same chain per CPU-second of this process',
      value: Math.round(cpuRate), unit: 'records/s', target: TARGET_RECORDS_PER_S, ratio: cpuRate / TARGET_RECORDS_PER_S,
      note: 'hot input; user+system CPU time (less sensitive to other load on a shared machine)',
    },
    {
      name: 'operators: same chain, cold input (600,000 pre-built records)',
      value: Math.round(coldRate), unit: 'records/s', target: TARGET_RECORDS_PER_S, ratio: coldRate / TARGET_RECORDS_PER_S,
      note: `each record read once from main memory; ${cold.seconds.toFixed(2)} s wall clock`,
    },
    {
      name: 'operators: bytes allocated per input record (hot input)',
      value: Math.round(bytesPerRecord), unit: 'B/record',
      note: 'sampling heap profiler over one run; output klines ≈ 95 B/record of it (one ~440-byte kline per 4.6 inputs); 234 B/record with the session-3 operators (same benchmark, same machine)',
    },
    {
      name: 'operators: state held at the end (identities + open windows)',
      value: hot.stateSamples[hot.stateSamples.length - 1], unit: 'keys',
      note: `at 1/4, 1/2 and all of ${count.toLocaleString('en-US')} records: ${hot.stateSamples.join(', ')}; `
        + `of ${(count / 10).toLocaleString('en-US')} records: ${small.stateSamples.join(', ')} (does not grow with records); `
        + `plus one stream clock per symbol (${SYMBOLS.toLocaleString('en-US')}) in dedupe and in resample`,
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const minutes = Number(process.argv[2] ?? 2000);
  for (const result of await benchOperators(minutes)) console.log(JSON.stringify(result));
}
