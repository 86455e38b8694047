/**
 * `npm run bench [-- name ...]`: runs the benchmark modules (all, or those named) one after another, each in
 * a fresh child process (a module measured after another one inherits its heap, threads and JIT state: the
 * archive parse ran 0.6× after the live module in the same process), and prints one table of results with
 * their ratio to target (ratio < 1 is marked). To add a module, add one line to MODULES. Benchmarks are
 * measurements, not tests: the exit status is 0 unless a module fails.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './result.js';

interface BenchModule {
  readonly name: string;
  readonly run: () => Promise<BenchResult[]>;
}

const MODULES: readonly BenchModule[] = [
  { name: 'operators', run: async () => (await import('./operators.js')).benchOperators() },
  { name: 'parquet', run: async () => (await import('./parquet.js')).benchParquet() },
  { name: 'live', run: async () => (await import('./live.js')).benchLive() },
  { name: 'archive', run: async () => (await import('./archive.js')).benchArchive() },
  { name: 'kafka', run: async () => (await import('./kafka.js')).benchKafka() },
  { name: 'clickhouse', run: async () => (await import('./clickhouse.js')).benchClickHouse() },
  { name: 'handoff', run: async () => (await import('./handoff.js')).benchHandoff() },
  { name: 'serve', run: async () => (await import('./serve.js')).benchServe() },
  { name: 'backfill-workers', run: async () => (await import('./backfill-workers.js')).benchBackfillWorkers() },
  { name: 'replay', run: async () => (await import('./replay.js')).benchReplay() },
  { name: 'indicators', run: async () => (await import('./indicators.js')).benchIndicators() },
];

function formatValue(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toPrecision(4);
}

function printTable(rows: readonly BenchResult[]): void {
  const cells = rows.map((r) => [
    r.name, `${formatValue(r.value)} ${r.unit}`, r.target === undefined ? '' : `${formatValue(r.target)} ${r.unit}`,
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}${r.ratio < 1 ? ' !' : ''}`, r.note ?? '',
  ]);
  const header = ['benchmark', 'value', 'target', 'ratio', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (i === 4 ? 0 : c[i].length))));
  const line = (c: string[]): string => c.map((text, i) => (i === 4 ? text : text.padEnd(widths[i]))).join('  ');
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const c of cells) console.log(line(c));
}

const CHILD_FLAG = '--child';

/** Runs one module in a child process (same Node flags, tsx) and returns its results. */
function runInChild(module: BenchModule): BenchResult[] {
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), CHILD_FLAG, module.name], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24,
  });
  if (child.status !== 0) throw new Error(`benchmark ${module.name} failed (exit ${child.status ?? child.signal})`);
  const line = child.stdout.trim().split('\n').at(-1) ?? '[]';
  return JSON.parse(line) as BenchResult[];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === CHILD_FLAG) {
    const module = MODULES.find((m) => m.name === args[1]) as BenchModule;
    process.stdout.write(`\n${JSON.stringify(await module.run())}\n`);
    return;
  }
  const chosen = args.length === 0 ? MODULES : MODULES.filter((m) => args.includes(m.name));
  if (chosen.length === 0) throw new Error(`no benchmark named ${args.join(', ')}; known: ${MODULES.map((m) => m.name).join(', ')}`);
  const results: BenchResult[] = [];
  for (const module of chosen) {
    process.stderr.write(`running ${module.name}…\n`);
    results.push(...runInChild(module));
  }
  printTable(results);
}

await main();
