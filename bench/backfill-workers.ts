/**
 * `npm run bench -- backfill-workers` (or `node --import tsx bench/backfill-workers.ts` alone): the distributed
 * backfill's aggregate rows/s with 1, 2 and 3 `backfill --worker` processes on this machine. One generated
 * archive (60 daily files: 3 symbols × trades, aggTrades × 10 days, BENCH_WORKER_EVENTS rows each) is published
 * once per worker count to a fresh work topic and loaded into a fresh ClickHouse database and lake; the time is
 * from the first worker's start to the last one's exit (`--exit-when-drained`), so it includes joining the
 * group and the final drain check. Needs Kafka and ClickHouse (`eval "$(bash infra/local/infra.sh env)"`).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClickHouseClient } from '../connectors/clickhouse/config.js';
import { writeArchiveFile } from '../test/support/archive-mirror.js';
import { parseTypeRequests, planArchiveFiles } from '../connectors/binance-archive/plan.js';
import type { BenchResult } from './result.js';

const EVENTS = Number(process.env.BENCH_WORKER_EVENTS ?? 20_000);
const SYMBOLS = ['AAAUSDT', 'BBBUSDT', 'CCCUSDT'];
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin', 'lakehouse.mjs');

/** Runs the CLI to its end; rejects on a non-zero status. */
async function cli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'inherit'], env });
  const [status] = await once(child, 'exit') as [number | null];
  if (status !== 0) throw new Error(`lakehouse ${args.slice(0, 2).join(' ')} exited with ${status}`);
}

/** Aggregate rows/s of 1, 2 and 3 workers. */
export async function benchBackfillWorkers(): Promise<BenchResult[]> {
  const { KAFKA_BROKERS: brokers, CLICKHOUSE_URL: url } = process.env;
  if (brokers === undefined || url === undefined) return [{ name: 'backfill workers', value: 0, unit: 'rows/s', note: 'skipped: KAFKA_BROKERS and CLICKHOUSE_URL not set' }];
  const dir = await mkdtemp(join(tmpdir(), 'bench-workers-'));
  const client = await createClickHouseClient({ url, username: process.env.CLICKHOUSE_USER ?? 'default', password: process.env.CLICKHOUSE_PASSWORD ?? '' });
  const run = `bw${Date.now().toString(36)}`;
  const results: BenchResult[] = [];
  try {
    const archive = join(dir, 'archive');
    const files = planArchiveFiles({ markets: ['spot'], symbols: SYMBOLS, types: parseTypeRequests(['trades', 'aggTrades']), fromDay: '2025-07-01', toDay: '2025-07-10', nowUs: Date.UTC(2026, 0, 1) * 1000 });
    for (const file of files) await writeArchiveFile(archive, file, { eventsPerDay: EVENTS });
    const rows = files.length * EVENTS;
    const request = ['--market', 'spot', '--symbols', SYMBOLS.join(','), '--types', 'trades,aggTrades', '--from', '2025-07-01', '--to', '2025-07-10', '--no-list', '--archive', archive];
    let single: number | undefined;
    for (const workers of [1, 2, 3]) {
      const database = `${run}_${workers}`;
      const sinks = ['--sink', 'clickhouse,parquet', '--clickhouse-database', database, '--lake', join(dir, `lake-${workers}`),
        '--kafka-brokers', brokers, '--topic-prefix', `${run}${workers}.`, '--group-id', `${run}${workers}`];
      await cli(['backfill', '--enqueue', ...request, ...sinks, '--work-partitions', '12'], process.env);
      const startedMs = Date.now();
      await Promise.all(Array.from({ length: workers }, () => cli(['backfill', '--worker', '--exit-when-drained', ...sinks], process.env)));
      const perSecond = rows / ((Date.now() - startedMs) / 1000);
      single ??= perSecond;
      results.push({ name: `backfill ${workers} worker${workers === 1 ? '' : 's'}`, value: Math.round(perSecond), unit: 'rows/s', ratio: perSecond / single,
        note: `${files.length} files, ${rows} rows into ClickHouse + lake, start to drained; ratio vs 1 worker` });
      await client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    }
  } finally {
    await client.close();
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const result of await benchBackfillWorkers()) console.log(`${result.name}: ${result.value} ${result.unit}${result.ratio === undefined ? '' : ` (×${result.ratio.toFixed(2)})`}  ${result.note ?? ''}`);
}
