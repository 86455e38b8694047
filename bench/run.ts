/**
 * `npm run bench [-- name ...]`: runs the benchmark modules (all, or those named) one after another and
 * prints one table of results with their ratio to target (ratio < 1 is marked). To add a module, add one
 * line to MODULES. Benchmarks are measurements, not tests: the exit status is 0 unless a module throws.
 */
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

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const chosen = wanted.length === 0 ? MODULES : MODULES.filter((m) => wanted.includes(m.name));
  if (chosen.length === 0) throw new Error(`no benchmark named ${wanted.join(', ')}; known: ${MODULES.map((m) => m.name).join(', ')}`);
  const results: BenchResult[] = [];
  for (const module of chosen) {
    process.stderr.write(`running ${module.name}…\n`);
    results.push(...(await module.run()));
  }
  printTable(results);
}

await main();
