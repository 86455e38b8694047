/**
 * Indicator benchmark (`npm run bench -- indicators`, or `node --import tsx bench/indicators.ts [minutes]`
 * alone): all four indicators (`rsi:14`, `macd:12:26:9`, `bb:20:2`, `vwap`) over closed 1m bars of 1,000
 * symbols, interleaved minute by minute as a multi-symbol topic delivers them, against the target of
 * 1,000,000 bars/s. Hot input, as in bench/operators.ts: one minute's 1,000 records re-emitted with the next
 * minute's times and prices that move from minute to minute (the operator keeps no reference to its input).
 * The bars held (the state) are read at the end: they must not grow with the number of bars.
 */
import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Observable } from 'rxjs';
import { indicators } from '../operators/indicators.js';
import type { KlineRecord } from '../schemas/index.js';
import { interleavedKlines } from './operators.js';
import type { BenchResult } from './result.js';

const TARGET_BARS_PER_S = 1_000_000;
const SYMBOLS = 1_000;
const START_US = 1_777_593_600_000_000; // 2026-05-01T00:00:00Z
const MINUTE_US = 60_000_000;
const SPECS = ['rsi:14', 'macd:12:26:9', 'bb:20:2', 'vwap'];

/** The hot input: one minute's records re-emitted with each next minute's times and prices. */
function hotBars(minutes: number): Observable<KlineRecord> {
  return new Observable<KlineRecord>((subscriber) => {
    const ring = interleavedKlines(1, SYMBOLS);
    for (let m = 0; m < minutes && !subscriber.closed; m++) {
      const openTimeUs = START_US + m * MINUTE_US;
      const drift = ((m * 37) % 101) * 0.01;
      for (let i = 0; i < ring.length; i++) {
        const record = ring[i];
        record.eventTimeUs = record.openTimeUs = openTimeUs;
        record.closeTimeUs = openTimeUs + MINUTE_US - 1000;
        record.close = record.open + drift - 0.5;
        record.high = record.open + 1 + drift;
        record.low = record.open - 1;
        subscriber.next(record);
      }
    }
    subscriber.complete();
  });
}

/** Where the rows go: a ring of the last 1,024, as a batching sink holds them (so they are really built). */
const SINK: unknown[] = new Array<unknown>(1024);

interface Run { seconds: number; cpuSeconds: number; rows: number; held: number }

function run(minutes: number): Run {
  let held = (): number => 0;
  let rows = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  hotBars(minutes).pipe(indicators({ indicators: SPECS, passThrough: false, stateProbe: (probe) => { held = probe; } }))
    .subscribe({ next: (record) => { SINK[rows++ & 1023] = record; } });
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6, rows, held: held() };
}

/** Runs the indicator benchmark. */
export function benchIndicators(minutes = 1000): Promise<BenchResult[]> {
  const bars = minutes * SYMBOLS;
  run(60);
  const small = run(minutes / 10);
  const best = [0, 1, 2].map(() => run(minutes)).sort((a, b) => a.seconds - b.seconds)[0];
  const rate = bars / best.seconds;
  const cpuRate = bars / best.cpuSeconds;
  const load = `machine load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`;
  return Promise.resolve([
    {
      name: `indicators: ${SPECS.join(', ')} over 1m bars (1,000 symbols interleaved)`,
      value: Math.round(rate), unit: 'bars/s', target: TARGET_BARS_PER_S, ratio: rate / TARGET_BARS_PER_S,
      note: `hot input, wall clock, best of 3: ${bars.toLocaleString('en-US')} bars in ${best.seconds.toFixed(2)} s, ${best.rows.toLocaleString('en-US')} rows out; ${load}`,
    },
    {
      name: 'indicators: same per CPU-second of this process',
      value: Math.round(cpuRate), unit: 'bars/s', target: TARGET_BARS_PER_S, ratio: cpuRate / TARGET_BARS_PER_S,
      note: 'user+system CPU time (less sensitive to other load on a shared machine)',
    },
    {
      name: 'indicators: bars held at the end',
      value: best.held, unit: 'bars',
      note: `after ${bars.toLocaleString('en-US')} bars; after ${(bars / 10).toLocaleString('en-US')}: ${small.held} (does not grow with bars: the longest window + 1 per symbol)`,
    },
  ]);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const result of await benchIndicators(Number(process.argv[2] ?? 1000))) console.log(JSON.stringify(result));
}
