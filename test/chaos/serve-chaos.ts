/**
 * Chaos for `lakehouse serve` (a child process, as in production): kill -9 at seeded points of its progress,
 * and ClickHouse unreachable for 30 s (a TCP proxy shut and opened again). Trades of several symbols wait in
 * Kafka; serve writes ClickHouse and a local lake. In the end ClickHouse `FINAL` holds every trade once and
 * every 1m bar, and the lake every trade id, compared with what was produced; SIGTERM then stops serve with 0.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { from, lastValueFrom, toArray } from 'rxjs';
import { toKafka } from '../../connectors/kafka/to-kafka.js';
import { topicFor } from '../../connectors/kafka/topic-for.js';
import { queryLake } from '../../connectors/parquet/query-lake.js';
import { makeVersion, type TradeRecord } from '../../schemas/index.js';
import { DAY_US, trade } from '../operators/support.js';
import type { ChaosLog, ChaosRow } from '../support/chaos-log.js';
import { lakehouseChild, type LakehouseChild } from '../support/lakehouse-child.js';
import { clickhouseService, kafkaService, registryService, type ClickHouseEndpoint } from '../support/services.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { clickhouseScalar } from '../integration/serve-support.js';
import { tempDir } from '../pipelines/backfill-support.js';

const SYMBOLS = ['KAAUSDT', 'KBBUSDT', 'KCCUSDT'];

/**
 * A stop is checked for its status, not its duration: the process's 10 s grace after SIGTERM is a timing, and on
 * a shared, loaded machine serve's stop (its last writes, commits, the lake's compaction at shutdown) can take
 * longer; each outcome says how long it took.
 */
const STOP_ENV = { LAKEHOUSE_STOP_GRACE_S: '120' };

/** What a scenario works with: the services, its topics (filled), its database and lake, and a way to start serve. */
interface ServeStage {
  readonly total: number;
  readonly database: string;
  readonly lake: string;
  readonly scalar: (sql: string) => Promise<number>;
  start(clickhouseUrl?: string): LakehouseChild;
}

async function stage(t: TestContext, run: string, perSymbol: number): Promise<ServeStage | undefined> {
  const [kafka, registry, clickhouse] = await Promise.all([kafkaService(), registryService(), clickhouseService()]);
  if (kafka === undefined || registry === undefined || clickhouse === undefined) { t.skip('services not configured'); return undefined; }
  const records: TradeRecord[] = [];
  for (let i = 0; i < perSymbol; i++) {
    for (const [s, symbol] of SYMBOLS.entries()) {
      records.push(trade(i + 1, DAY_US + i * 10_000 + s * 1_000, { symbol, source: 'ws', version: makeVersion('ws', 1_000), price: 100 + ((i * 7 + s) % 13), qty: 1 + (i % 5), ingestId: 'ws' }));
    }
  }
  const batches = Array.from({ length: Math.ceil(records.length / 20_000) }, (_, i) => ({ kind: 'trade' as const, unitId: `${run}#${i}`, records: records.slice(i * 20_000, (i + 1) * 20_000) }));
  await lastValueFrom(from(batches).pipe(toKafka({ kafka, registry, topicOf: (r) => `${run}.${topicFor(r)}`, partitions: 3 }), toArray()));
  const database = `${run}_db`;
  const lake = await tempDir(`chaos-serve-lake-${run}`);
  const scalar = await clickhouseScalar(t, clickhouse, database);
  const endpoint = (c: ClickHouseEndpoint, url: string): string[] => ['--clickhouse-url', url, '--clickhouse-user', c.username, '--clickhouse-password', c.password];
  const children: LakehouseChild[] = [];
  t.after(() => { for (const c of children) c.child.kill('SIGKILL'); });
  return {
    total: records.length, database, lake, scalar,
    start: (url = clickhouse.url) => {
      const child = lakehouseChild(['serve', '--group-id', `${run}-group`, '--topic-prefix', `${run}.`, '--sink', 'clickhouse,parquet',
        '--clickhouse-database', database, '--lake', lake, '--intervals', '1m', '--allowed-lateness', '1s', '--idle-flush', '1s',
        '--kafka-brokers', kafka.brokers.join(','), '--schema-registry-url', registry.url, ...endpoint(clickhouse, url)], STOP_ENV);
      children.push(child);
      return child;
    },
  };
}

async function until(condition: () => Promise<boolean>, child: LakehouseChild): Promise<void> {
  while (!await condition()) {
    if (child.child.exitCode !== null) assert.fail(`serve exited early with status ${child.child.exitCode}: ${child.output().slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Waits for every trade and bar, stops serve with SIGTERM (status 0), and checks ClickHouse and the lake; returns the outcome. */
async function settle(s: ServeStage, child: LakehouseChild, row: ChaosRow): Promise<string> {
  const finalRows = `SELECT count() AS n FROM ${s.database}.trades FINAL`;
  const barTrades = `SELECT sum(tradeCount) AS n FROM ${s.database}.klines FINAL WHERE source = 'resample'`;
  await until(async () => await s.scalar(finalRows) === s.total && await s.scalar(barTrades) === s.total, child);
  const lakeIds = async (): Promise<number> => Number((await queryLake({ root: s.lake, sql: 'SELECT count(DISTINCT (symbol, tradeId)) AS n FROM trades' }))[0].n);
  for (let waited = 0; waited < 60 && await lakeIds() < s.total; waited++) await new Promise((resolve) => setTimeout(resolve, 1000));
  const stopStartedMs = Date.now();
  child.child.kill('SIGTERM');
  assert.equal(await child.exit, 0, child.output().split('\n').filter((l) => !l.includes('"logger":')).slice(-12).join('\n'));
  const stopS = ((Date.now() - stopStartedMs) / 1000).toFixed(1);
  assert.equal(await s.scalar(`SELECT uniqExact(symbol, tradeId) AS n FROM ${s.database}.trades`), s.total);
  const bars = SYMBOLS.length * Math.ceil((s.total / SYMBOLS.length) * 10_000 / 60_000_000);
  assert.equal(await s.scalar(`SELECT count() AS n FROM ${s.database}.klines FINAL WHERE source = 'resample' AND \`interval\` = '1m'`), bars);
  row.outcome += `; ClickHouse FINAL: ${s.total} trades once, ${bars} bars with every trade; SIGTERM → exit 0 after ${stopS} s`;
  let [lake] = await queryLake({ root: s.lake, sql: 'SELECT count(*) AS n, count(DISTINCT (symbol, tradeId)) AS ids FROM trades' });
  if (Number(lake.ids) < s.total) {
    // Missing now: written by one more start from the committed offsets (then they were only late), or lost.
    row.outcome += `; the lake lacked ${s.total - Number(lake.ids)} trades at the stop`;
    const again = s.start();
    await new Promise((resolve) => setTimeout(resolve, 30_000));
    again.child.kill('SIGTERM');
    await again.exit;
    [lake] = await queryLake({ root: s.lake, sql: 'SELECT count(*) AS n, count(DISTINCT (symbol, tradeId)) AS ids FROM trades' });
    row.outcome += `, ${s.total - Number(lake.ids)} after one more start of 30 s`;
  }
  assert.equal(Number(lake.ids), s.total, `every trade id in the lake (${s.total - Number(lake.ids)} of ${s.total} missing)`);
  assert.equal(Number(lake.n), s.total, 'no trade stored twice in the lake');
  return `ClickHouse FINAL: ${s.total} trades once, ${bars} bars with every trade; lake: ${s.total} trades once; SIGTERM → exit 0 after ${stopS} s`;
}

/** No fault: the baseline the other serve scenarios are read against. */
export async function serveBaseline(t: TestContext, row: ChaosRow, run: string): Promise<void> {
  const s = await stage(t, `${run}b`, 20_000);
  if (s === undefined) return;
  row.injected = 'none';
  row.outcome = `${await settle(s, s.start(), row)}`;
}

/** kill -9 of `serve` twice, each when a seeded share of the trades has reached ClickHouse, then a run to the end. */
export async function serveKill(t: TestContext, log: ChaosLog, row: ChaosRow, run: string): Promise<void> {
  const s = await stage(t, `${run}k`, 60_000);
  if (s === undefined) return;
  const rows = `SELECT count() AS n FROM ${s.database}.trades`;
  const first = log.between(0.1, 0.5);
  const second = log.between(first + 0.1, 0.9);
  for (const share of [first, second]) {
    const child = s.start();
    await until(async () => await s.scalar(rows) >= share * s.total, child);
    child.child.kill('SIGKILL');
    await child.exit;
    row.injected += `${row.injected === '' ? '' : ', '}SIGKILL once ${Math.round(share * 100)}% of the trades were in ClickHouse`;
  }
  row.outcome = 'restarted each time';
  row.outcome = `restarted each time; ${await settle(s, s.start(), row)}`;
}

/** ClickHouse unreachable for 30 s (connections cut, new ones refused) once a seeded share of trades is in. */
export async function serveClickHouseDown(t: TestContext, log: ChaosLog, row: ChaosRow, run: string): Promise<void> {
  const s = await stage(t, `${run}d`, 40_000);
  const clickhouse = await clickhouseService();
  if (s === undefined || clickhouse === undefined) return;
  const proxy = new TcpProxy(new URL(clickhouse.url));
  await proxy.open();
  t.after(() => proxy.shut());
  const child = s.start(`http://127.0.0.1:${proxy.port}`);
  const share = log.between(0.1, 0.7);
  await until(async () => await s.scalar(`SELECT count() AS n FROM ${s.database}.trades`) >= share * s.total, child);
  proxy.shut();
  row.injected = `cut once ${Math.round(share * 100)}% of the trades were in, restored 30 s later`;
  await new Promise((resolve) => setTimeout(resolve, 30_000));
  let last = child.output().split('\n').filter((l) => l.trim() !== '' && !l.includes('"logger":')).slice(-6).join('\n');
  if (child.child.exitCode !== null) {
    const file = join(tmpdir(), `chaos-serve-down-${run}.log`);
    await writeFile(file, child.output());
    last = `(its output: ${file}) ${last}`;
  }
  assert.equal(child.child.exitCode, null, `serve exited with status ${child.child.exitCode} while ClickHouse was down, instead of waiting for it: ${last}`);
  await proxy.open();
  row.outcome = 'serve kept running and resumed';
  row.outcome = `serve kept running and resumed; ${await settle(s, child, row)}`;
}
