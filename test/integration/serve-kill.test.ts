/**
 * Effectively once across kill -9: 600,000 trades of four symbols in Kafka, `lakehouse serve` started as a
 * child process, killed with SIGKILL once part of them reached ClickHouse, started again. In the end
 * ClickHouse `FINAL` holds every trade id exactly once, the 1m bars from serve equal an aggregation of the
 * trades in SQL, and SIGTERM stops the restarted process with status 0. Then scale-out: three processes in one
 * group, one killed mid-stream; the survivors take its partitions over and the final tables are exact.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { from, lastValueFrom, toArray } from 'rxjs';
import { toKafka } from '../../connectors/kafka/to-kafka.js';
import { topicFor } from '../../connectors/kafka/topic-for.js';
import { makeVersion, type AnyRecord, type TradeRecord } from '../../schemas/index.js';
import { DAY_US, trade } from '../operators/support.js';
import { clickhouseService, kafkaService, registryService } from '../support/services.js';
import { clickhouseScalar } from './serve-support.js';

const RUN = `sk${Date.now().toString(36)}${process.pid}`;
const SYMBOLS = ['AAAUSDT', 'BBBUSDT', 'CCCUSDT', 'DDDUSDT'];
const PER_SYMBOL = 150_000;
const ROOT = join(import.meta.dirname, '..', '..');

/** The symbols' trades interleaved in time, 10 ms apart per symbol, as the live layer would produce them. */
function* trades(): Generator<TradeRecord> {
  for (let i = 0; i < PER_SYMBOL; i++) {
    for (const [s, symbol] of SYMBOLS.entries()) {
      yield trade(i + 1, DAY_US + i * 10_000 + s * 1_000, {
        symbol, source: 'ws', version: makeVersion('ws', 1_000_000), price: 100 + ((i * 7 + s) % 13), qty: 1 + (i % 5), ingestId: 'ws',
      });
    }
  }
}

function chunks(size: number): AnyRecord[][] {
  const out: AnyRecord[][] = [];
  let chunk: AnyRecord[] = [];
  for (const record of trades()) {
    chunk.push(record);
    if (chunk.length === size) { out.push(chunk); chunk = []; }
  }
  if (chunk.length > 0) out.push(chunk);
  return out;
}

test('serve killed with SIGKILL mid-way and restarted: every id once in ClickHouse FINAL, bars equal SQL', { timeout: 600_000 }, async (t) => {
  const [kafka, registry, clickhouse] = await Promise.all([kafkaService(), registryService(), clickhouseService()]);
  if (kafka === undefined || registry === undefined || clickhouse === undefined) return t.skip('services not configured');
  const database = `${RUN}_db`;
  const topicOf = (r: AnyRecord): string => `${RUN}.${topicFor(r)}`;
  await lastValueFrom(from(chunks(20_000).map((records, i) => ({ kind: 'trade' as const, unitId: `${RUN}#${i}`, records })))
    .pipe(toKafka({ kafka, registry, topicOf, partitions: 3 }), toArray()));

  const scalar = await clickhouseScalar(t, clickhouse, database);
  const endpoints = [
    '--kafka-brokers', kafka.brokers.join(','), '--schema-registry-url', registry.url,
    '--clickhouse-url', clickhouse.url, '--clickhouse-user', clickhouse.username, '--clickhouse-password', clickhouse.password,
  ];
  const start = (): ChildProcess => spawn(process.execPath, [join(ROOT, 'bin', 'lakehouse.mjs'), 'serve',
    '--group-id', `${RUN}-group`, '--topic-prefix', `${RUN}.`, '--sink', 'clickhouse', '--clickhouse-database', database,
    '--intervals', '1m', '--allowed-lateness', '1s', '--idle-flush', '1s', ...endpoints], { stdio: ['ignore', 'ignore', 'pipe'] });
  const stderrOf = new Map<ChildProcess, string>();
  const until = async (condition: () => Promise<boolean>, child: ChildProcess): Promise<void> => {
    while (!await condition()) {
      if (child.exitCode !== null) throw new Error(`serve exited early with status ${child.exitCode}: ${stderrOf.get(child) ?? ''}`);
      // A test that timed out stops polling: else its file's process never ends and the whole run waits on it.
      if (t.signal.aborted) throw new Error(`gave up waiting; serve's log: ${stderrOf.get(child) ?? ''}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  const total = SYMBOLS.length * PER_SYMBOL;
  const rows = `SELECT count() AS n FROM ${database}.trades`;

  const first = start();
  stderrOf.set(first, '');
  first.stderr?.on('data', (chunk: Buffer) => { stderrOf.set(first, (stderrOf.get(first) ?? '') + chunk.toString()); });
  t.after(() => first.kill('SIGKILL'));
  await until(async () => await scalar(rows) >= total / 4, first);
  first.kill('SIGKILL');
  await once(first, 'exit');
  assert.ok(await scalar(rows) < total, 'killed before it wrote everything');

  const second = start();
  t.after(() => second.kill('SIGKILL'));
  stderrOf.set(second, '');
  second.stderr?.on('data', (chunk: Buffer) => { stderrOf.set(second, (stderrOf.get(second) ?? '') + chunk.toString()); });
  const barTrades = `SELECT sum(tradeCount) AS n FROM ${database}.klines FINAL WHERE source = 'resample'`;
  await until(async () => await scalar(`SELECT count() AS n FROM ${database}.trades FINAL`) === total && await scalar(barTrades) === total, second);
  second.kill('SIGTERM');
  const [status] = await once(second, 'exit') as [number | null];
  assert.equal(status, 0, stderrOf.get(second));

  assert.equal(await scalar(`SELECT count() AS n FROM ${database}.trades FINAL`), total);
  assert.equal(await scalar(`SELECT uniqExact(symbol, tradeId) AS n FROM ${database}.trades`), total);
  const mismatched = await scalar(`
    SELECT count() AS n FROM (
      SELECT symbol, intDiv(eventTimeUs, 60000000) * 60000000 AS openTimeUs, count() AS trades, sum(qty) AS volume,
             max(price) AS high, min(price) AS low, argMin(price, tradeId) AS open, argMax(price, tradeId) AS close
      FROM ${database}.trades FINAL GROUP BY symbol, openTimeUs
    ) AS sql_bars
    FULL OUTER JOIN (
      SELECT symbol, openTimeUs, tradeCount, volume AS barVolume, high AS barHigh, low AS barLow, open AS barOpen, close AS barClose
      FROM ${database}.klines FINAL WHERE source = 'resample' AND \`interval\` = '1m'
    ) AS serve_bars USING (symbol, openTimeUs)
    WHERE trades != tradeCount OR volume != barVolume OR high != barHigh OR low != barLow OR open != barOpen OR close != barClose`);
  assert.equal(mismatched, 0);
  assert.equal(await scalar(`SELECT count() AS n FROM ${database}.klines FINAL WHERE source = 'resample' AND \`interval\` = '1m'`), SYMBOLS.length * Math.ceil(PER_SYMBOL * 10_000 / 60_000_000));
});

test('three serve processes in one group, one killed mid-stream: the survivors take over, final tables exact', { timeout: 600_000 }, async (t) => {
  const [kafka, registry, clickhouse] = await Promise.all([kafkaService(), registryService(), clickhouseService()]);
  if (kafka === undefined || registry === undefined || clickhouse === undefined) return t.skip('services not configured');
  const run = `${RUN}g`;
  const database = `${run}_db`;
  const topicOf = (r: AnyRecord): string => `${run}.${topicFor(r)}`;
  const all = chunks(20_000);
  const records = all.slice(0, 15); // 300,000 trades
  const total = records.reduce((n, c) => n + c.length, 0);
  await lastValueFrom(from(records.map((list, i) => ({ kind: 'trade' as const, unitId: `${run}#${i}`, records: list })))
    .pipe(toKafka({ kafka, registry, topicOf, partitions: 6 }), toArray()));
  const scalar = await clickhouseScalar(t, clickhouse, database);
  const args = ['serve', '--group-id', `${run}-group`, '--topic-prefix', `${run}.`, '--sink', 'clickhouse', '--clickhouse-database', database,
    '--intervals', '1m', '--idle-flush', '1s', '--max-in-flight', '1',
    '--kafka-brokers', kafka.brokers.join(','), '--schema-registry-url', registry.url,
    '--clickhouse-url', clickhouse.url, '--clickhouse-user', clickhouse.username, '--clickhouse-password', clickhouse.password];
  const members = [0, 1, 2].map(() => spawn(process.execPath, [join(ROOT, 'bin', 'lakehouse.mjs'), ...args], { stdio: ['ignore', 'ignore', 'ignore'] }));
  for (const member of members) t.after(() => member.kill('SIGKILL'));
  const rows = `SELECT count() AS n FROM ${database}.trades`;
  while (await scalar(rows) < total / 5) await new Promise((resolve) => setTimeout(resolve, 200));
  members[0].kill('SIGKILL');
  const barTrades = `SELECT sum(tradeCount) AS n FROM ${database}.klines FINAL WHERE source = 'resample'`;
  const finalRows = `SELECT count() AS n FROM ${database}.trades FINAL`;
  while (await scalar(finalRows) !== total || await scalar(barTrades) !== total) {
    assert.ok(members[1].exitCode === null && members[2].exitCode === null, 'a survivor exited');
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  for (const member of members.slice(1)) member.kill('SIGTERM');
  const statuses = await Promise.all(members.slice(1).map(async (m) => (await once(m, 'exit') as [number | null])[0]));
  assert.deepEqual(statuses, [0, 0]);
  assert.equal(await scalar(finalRows), total);
  assert.equal(await scalar(`SELECT uniqExact(symbol, tradeId) AS n FROM ${database}.trades`), total);
  assert.equal(await scalar(`SELECT count() AS n FROM ${database}.klines FINAL WHERE source = 'resample' AND \`interval\` = '1m'`), SYMBOLS.length * Math.ceil((total / SYMBOLS.length) * 10_000 / 60_000_000));
});
