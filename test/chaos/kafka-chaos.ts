/**
 * Chaos for the Kafka broker: `backfill --sink kafka` produces a generated archive into a private broker
 * (private-kafka.ts) while `serve` consumes it into ClickHouse and a local lake; at a seeded point of the
 * backfill the broker is stopped, stays down for a seeded time and starts again over its data. The backfill is
 * rerun until one run exits 0 (its manifest skips what is loaded); serve must ride through the restart. In the
 * end ClickHouse `FINAL` and the lake hold every generated trade once and the bars count every trade.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { ChaosLog, ChaosRow } from '../support/chaos-log.js';
import { lakehouseChild, type LakehouseChild } from '../support/lakehouse-child.js';
import { createClickHouseClient } from '../../connectors/clickhouse/config.js';
import { clickhouseService, registryService, type ClickHouseEndpoint } from '../support/services.js';
import { clickhouseScalar } from '../integration/serve-support.js';
import { tempDir } from '../pipelines/backfill-support.js';
import { expectedRows, filesLoaded, lakeIdentities, mirror, runUntilDone } from './backfill-chaos.js';
import { PrivateKafka } from './private-kafka.js';

async function until(condition: () => Promise<boolean>, serve: LakehouseChild, patienceS: number, what: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + patienceS * 1000;
  while (!await condition()) {
    if (serve.child.exitCode !== null) assert.fail(`serve exited with status ${serve.child.exitCode}: ${serve.output().slice(-2000)}`);
    if (Date.now() > deadline) assert.fail(`${await what()} after ${patienceS} s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The broker stopped and started again while `backfill --sink kafka` and `serve` run. */
export async function kafkaBrokerRestart(t: TestContext, log: ChaosLog, row: ChaosRow, run: string): Promise<void> {
  const [registry, clickhouse] = await Promise.all([registryService(), clickhouseService()]);
  if (registry === undefined || clickhouse === undefined) return t.skip('registry or ClickHouse not configured');
  const kafka = await PrivateKafka.start();
  t.after(() => kafka.remove());
  const { files, request } = await mirror(`${run}k`, 2, 10_000, ['trades']);
  const expected = expectedRows(files).trades;
  const prefix = `${run}.`;
  const database = `${run}_kafka`;
  const lake = await tempDir(`chaos-kafka-lake-${run}`);
  const scalar = await clickhouseScalar(t, clickhouse, database);
  let serve: LakehouseChild | undefined;
  t.after(() => serve?.child.kill('SIGKILL'));
  const startServe = (): LakehouseChild => lakehouseChild(['serve', '--group-id', `${run}-kafka-group`, '--topic-prefix', prefix, '--sink', 'clickhouse,parquet',
    '--clickhouse-database', database, '--lake', lake, '--intervals', '1m', '--allowed-lateness', '1s', '--idle-flush', '1s',
    '--kafka-brokers', kafka.brokers, '--schema-registry-url', registry.url,
    '--clickhouse-url', clickhouse.url, '--clickhouse-user', clickhouse.username, '--clickhouse-password', clickhouse.password, '--log-format', 'json'],
  // The stop is checked for its status, not its duration (the 10 s grace is a timing on a shared, loaded machine); the outcome says how long it took.
  { LAKEHOUSE_STOP_GRACE_S: '120' });

  const argv = ['backfill', ...request, '--sink', 'kafka', '--topic-prefix', prefix, '--kafka-brokers', kafka.brokers, '--schema-registry-url', registry.url, '--json'];
  const outcomes = await runUntilDone(argv, 4, async (i, child) => {
    if (i > 0) return;
    // serve starts once the backfill created the topic (serve refuses to start without one).
    const first = await filesLoaded(child, () => 1);
    serve = startServe();
    if (first === undefined) return;
    const loaded = await filesLoaded(child, (total) => Math.max(first.done + 1, Math.floor(log.between(0.2, 0.7) * total)));
    if (loaded === undefined) return;
    const downMs = Math.round(log.between(5_000, 20_000));
    await kafka.stop();
    row.injected = `broker stopped once ${loaded.done} of the backfill's ${loaded.total} files were loaded, started again ${downMs} ms later`;
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await kafka.start();
  });
  assert.notEqual(row.injected, '', 'the broker was restarted (the backfill did not finish before the fault)');
  assert.ok(serve !== undefined);
  const s = serve;

  const finalRows = `SELECT count() AS n FROM ${database}.trades FINAL`;
  await until(async () => await scalar(finalRows) === expected, s, 300, async () => `ClickHouse FINAL: ${await scalar(finalRows)} of ${expected} trades`);
  await until(async () => (await lakeIdentities(lake)).trades.ids >= expected, s, 60, async () => `lake: ${(await lakeIdentities(lake)).trades.ids} of ${expected} trade ids`);
  await new Promise((resolve) => setTimeout(resolve, 5_000)); // the idle flush of the last bars (--idle-flush 1s)
  const stopStartedMs = Date.now();
  s.child.kill('SIGTERM');
  const status = await s.exit;
  const stopS = ((Date.now() - stopStartedMs) / 1000).toFixed(1);
  if (status !== 0) {
    const file = join(tmpdir(), `chaos-kafka-serve-${run}.log`);
    await writeFile(file, s.output());
    assert.fail(`serve exited with ${status} after SIGTERM instead of 0 (its output: ${file}): ${s.output().split('\n').filter((l) => !l.includes('"logger":')).slice(-12).join('\n')}`);
  }
  const restarts = s.output().split('\n').filter((l) => l.includes('serve session failed')).length;
  assert.equal(await scalar(`SELECT uniqExact(symbol, tradeId) AS n FROM ${database}.trades`), expected);
  assert.deepEqual((await lakeIdentities(lake)).trades, { rows: expected, ids: expected }, 'lake trades: rows and distinct ids');
  const late = await barsAccountFor(clickhouse, database);
  row.outcome = `backfill ${outcomes.join('; ')}; serve: ${restarts} session restarts, SIGTERM → exit 0 after ${stopS} s; ClickHouse FINAL: ${expected} trades once; lake: ${expected} trades once; `
    + `1m bars: every trade counted once, or (${late} trades of days the backfill produced again after later days) a LateRecord dead letter`;
}

/**
 * Per symbol and minute: the 1m bar counts no trade that is not there, and every trade it does not count is a
 * `LateRecord` dead letter (a day produced again by a backfill rerun after later days is behind the watermark
 * for its bars; serve dead-letters such trades rather than dropping them). Returns the trades not in bars.
 */
async function barsAccountFor(clickhouse: ClickHouseEndpoint, database: string): Promise<number> {
  const client = await createClickHouseClient({ url: clickhouse.url, username: clickhouse.username, password: clickhouse.password });
  try {
    const perMinute = async (sql: string): Promise<Map<string, number>> =>
      new Map((await (await client.query({ query: sql, format: 'JSONEachRow' })).json<{ k: string; n: string }>()).map((r) => [r.k, Number(r.n)]));
    const trades = await perMinute(`SELECT concat(symbol, '/', toString(intDiv(eventTimeUs, 60000000))) AS k, count() AS n FROM ${database}.trades FINAL GROUP BY k`);
    const bars = await perMinute(`SELECT concat(symbol, '/', toString(intDiv(openTimeUs, 60000000))) AS k, sum(tradeCount) AS n FROM ${database}.klines FINAL
      WHERE source = 'resample' AND \`interval\` = '1m' GROUP BY k`);
    const late = await perMinute(`SELECT concat(visitParamExtractString(raw, 'symbol'), '/', toString(intDiv(visitParamExtractInt(raw, 'eventTimeUs'), 60000000))) AS k,
      uniqExact(visitParamExtractInt(raw, 'tradeId')) AS n FROM ${database}.dead_letters WHERE errorName = 'LateRecord' GROUP BY k`);
    let missing = 0;
    const wrong: string[] = [];
    for (const [key, n] of trades) {
      const counted = bars.get(key) ?? 0;
      if (counted > n || counted + (late.get(key) ?? 0) < n) wrong.push(`${key}: ${n} trades, bar counts ${counted}, late ${late.get(key) ?? 0}`);
      missing += n - Math.min(n, counted);
    }
    for (const key of bars.keys()) if (!trades.has(key)) wrong.push(`${key}: a bar without trades`);
    assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} minutes where the 1m bar and the LateRecord dead letters do not account for the trades`);
    return missing;
  } finally {
    await client.close();
  }
}
