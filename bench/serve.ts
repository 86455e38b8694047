/**
 * `npm run bench -- serve`: Kafka → ClickHouse through the whole serving chain (`lakehouse serve`: validate →
 * mergeSources (the watermark) → dedupe → detectGaps → fillGaps → resample → ClickHouse), in rows/s from the
 * first batch read to the last row visible in ClickHouse (the time from start, group join included, beside it), printed beside the server's own CSV ingest of the same
 * rows in the same run; and the engine's state memory (heap held after a GC) for 1,000 symbols. Needs Kafka,
 * the registry and ClickHouse (`eval "$(bash infra/local/infra.sh env)"`); without them one result says so.
 */
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { from, lastValueFrom, toArray } from 'rxjs';
import { createClickHouseClient } from '../connectors/clickhouse/config.js';
import { toKafka } from '../connectors/kafka/to-kafka.js';
import { topicFor } from '../connectors/kafka/topic-for.js';
import { resolveConfig } from '../pipelines/config.js';
import { ServeEngine } from '../pipelines/serve-engine.js';
import { SERVE_OPTIONS } from '../pipelines/serve-options.js';
import { runServe } from '../pipelines/serve.js';
import { quoteIdentifier } from '../schemas/clickhouse-ddl.js';
import { makeVersion, TRADE, type AnyRecord, type TradeRecord } from '../schemas/index.js';
import { csvOf, timeMs } from './clickhouse-insert.js';
import type { BenchResult } from './result.js';

const ROWS = Number(process.env.BENCH_SERVE_ROWS ?? 600_000);
const TARGET = 300_000;
const DAY_US = 1_751_328_000_000_000;

/** `count` live trades of `symbols` symbols, interleaved in time (1 ms apart), ids consecutive per symbol. */
function trades(count: number, symbols: number): TradeRecord[] {
  const rows: TradeRecord[] = [];
  for (let i = 0; i < count; i++) {
    const s = i % symbols;
    const price = 100 + ((i * 7) % 13);
    rows.push({
      kind: 'trade', exchange: 'binance', market: 'spot', symbol: `S${s}USDT`, eventTimeUs: DAY_US + i * 1_000, source: 'ws',
      receiveTimeUs: null, ingestId: 'bench', version: makeVersion('ws', 1_751_400_000_000), tradeId: Math.floor(i / symbols) + 1,
      price, qty: 1 + (i % 5), quoteQty: price * (1 + (i % 5)), contracts: null, baseQty: null, isBuyerMaker: i % 3 === 0, isBestMatch: true,
    });
  }
  return rows;
}

function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

/** Heap held by one engine's state after it read 100 trades per symbol of 1,000 symbols. */
function stateMemory(): BenchResult {
  const rows = trades(100_000, 1_000);
  const before = heapAfterGc();
  const engine = new ServeEngine({ intervals: ['1m', '5m', '1h', '1d'], allowedLatenessUs: 1_000_000, fill: 'none' });
  for (let i = 0; i < rows.length; i += 10_000) engine.push(rows.slice(i, i + 10_000), 0);
  const held = heapAfterGc() - before;
  const streams = engine.streamCount;
  engine.close();
  return { name: 'serve: engine state for 1,000 symbols', value: Math.round(held / 1024), unit: 'KiB', note: `${streams} streams, intervals 1m,5m,1h,1d, lateness 1 s: ${Math.round(held / streams)} bytes per stream (heap after GC)` };
}

export async function benchServe(): Promise<BenchResult[]> {
  const env = process.env;
  if (env.KAFKA_BROKERS === undefined || env.SCHEMA_REGISTRY_URL === undefined || env.CLICKHOUSE_URL === undefined) {
    return [stateMemory(), { name: 'serve: Kafka → ClickHouse', value: 0, unit: 'rows/s', note: 'not measured: KAFKA_BROKERS, SCHEMA_REGISTRY_URL and CLICKHOUSE_URL needed (eval "$(bash infra/local/infra.sh env)")' }];
  }
  const run = `bs${Date.now().toString(36)}`;
  const rows = trades(ROWS, 1_000);
  const brokers = env.KAFKA_BROKERS.split(',');
  const chunks: AnyRecord[][] = [];
  for (let i = 0; i < rows.length; i += 50_000) chunks.push(rows.slice(i, i + 50_000));
  await lastValueFrom(from(chunks.map((records, i) => ({ kind: 'trade' as const, unitId: `${run}#${i}`, records })))
    .pipe(toKafka({ kafka: { brokers }, registry: { url: env.SCHEMA_REGISTRY_URL }, topicOf: (r) => `${run}.${topicFor(r)}`, partitions: 6 }), toArray()));
  const client = await createClickHouseClient({ url: env.CLICKHOUSE_URL, username: env.CLICKHOUSE_USER, password: env.CLICKHOUSE_PASSWORD });
  const database = `${run}_db`;
  try {
    const argv = ['--group-id', `${run}-group`, '--topic-prefix', `${run}.`, '--sink', 'clickhouse', '--clickhouse-database', database, '--intervals', '1m', '--idle-flush', '1s'];
    const { config } = resolveConfig('serve', SERVE_OPTIONS, argv, env);
    const stop = new AbortController();
    const count = async (final = ''): Promise<number> => {
      try {
        return Number((await (await client.query({ query: `SELECT count() AS n FROM ${quoteIdentifier(database)}.trades ${final}`, format: 'JSONEachRow' })).json<{ n: string }>())[0].n);
      } catch {
        return 0;
      }
    };
    // Timed from the first batch read (its rows not counted) to the last row visible: the serving rate. The
    // start-up before it (module loading, registry look-ups, the group join) is printed beside it.
    let firstMs: number | undefined;
    let firstRows = 0;
    const startMs = performance.now();
    const serving = runServe(config, stop.signal, (report) => {
      if (firstMs === undefined) { firstMs = performance.now(); firstRows = report.records; }
    });
    // Rows written twice (an idle flush's re-read on a loaded machine) count once: FINAL once the plain count is there.
    while (await count() < ROWS || await count('FINAL') < ROWS) await new Promise((resolve) => setTimeout(resolve, 50));
    const endMs = performance.now();
    stop.abort();
    await serving;
    const serveMs = endMs - (firstMs as number);
    const totalMs = endMs - startMs;
    // A fresh client: the polling one's keep-alive socket may have gone stale while serve ran.
    const ingest = await createClickHouseClient({ url: env.CLICKHOUSE_URL, username: env.CLICKHOUSE_USER, password: env.CLICKHOUSE_PASSWORD });
    await ingest.command({ query: `CREATE TABLE ${quoteIdentifier(database)}.trades_csv AS ${quoteIdentifier(database)}.trades` });
    const csv = csvOf(rows as unknown as Record<string, unknown>[], TRADE.fields);
    const csvMs = await timeMs(() => ingest.insert({ table: `${quoteIdentifier(database)}.trades_csv`, format: 'CSV', values: Readable.from(csv, { objectMode: false }) })).finally(() => ingest.close());
    const serveRate = Math.round((ROWS - firstRows) / (serveMs / 1000));
    const csvRate = Math.round(ROWS / (csvMs / 1000));
    return [
      { name: 'serve: Kafka → full operator chain → ClickHouse', value: serveRate, unit: 'rows/s', target: TARGET, ratio: serveRate / TARGET,
        note: `${ROWS} trades of 1,000 symbols, 6 partitions, bars 1m; ${serveMs.toFixed(0)} ms from the first batch read to the last row in ClickHouse (its ${firstRows} rows not counted); from start, incl. start-up and group join: ${totalMs.toFixed(0)} ms, ${Math.round(ROWS / (totalMs / 1000))} rows/s` },
      { name: 'serve: the server\'s own CSV ingest of the same rows', value: csvRate, unit: 'rows/s', note: `${csvMs.toFixed(0)} ms, pre-encoded; serve is ${(serveRate / csvRate).toFixed(2)} of it` },
      stateMemory(),
    ];
  } finally {
    await client.command({ query: `DROP DATABASE IF EXISTS ${quoteIdentifier(database)}` }).catch(() => undefined);
    await client.close();
  }
}
