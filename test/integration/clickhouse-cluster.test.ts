/**
 * The distributed backfill into a two-replica ClickHouse cluster (infra.sh's optional `clickhouse-cluster`
 * service: `eval "$(infra/local/infra.sh env --cluster)"` gives CLICKHOUSE_CLUSTER_NAME and _URLS): a generated
 * archive of 60 files loaded by two `backfill --worker` processes writing through different replicas. Each
 * replica's replicated tables then hold every row once (`FINAL`, same rows and content hash as one backfill
 * into the single server), and `lakehouse query` through the Distributed tables of either replica prints what
 * it prints on the single server.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouseClient } from '../../connectors/clickhouse/config.js';
import { tableNameOf } from '../../schemas/clickhouse-ddl.js';
import { backfillCommand } from '../../pipelines/backfill.js';
import { queryCommand } from '../../pipelines/query.js';
import { generateArchiveMirror } from '../support/archive-mirror.js';
import { clickhouseDigest } from '../support/clickhouse-digest.js';
import { clickhouseClusterService } from '../support/cluster-service.js';
import { clickhouseService, kafkaService } from '../support/services.js';
import { removeTempDirs, runBackfillJson, runCommand, tempDir } from '../pipelines/backfill-support.js';

after(removeTempDirs);

const RUN = `cc${Date.now().toString(36)}${process.pid}`;
const ROOT = join(import.meta.dirname, '..', '..');
const SYMBOLS = ['AAAUSDT', 'BBBUSDT', 'CCCUSDT'];
const REQUEST = ['--market', 'spot', '--symbols', SYMBOLS.join(','), '--types', 'trades,aggTrades', '--from', '2025-07-01', '--to', '2025-07-10', '--no-list'];
const KINDS = ['trade', 'aggTrade', 'deadLetter'] as const;
const SQL = 'SELECT symbol, count() AS n, sum(qty) AS volume, min(tradeId) AS first, max(tradeId) AS last FROM trades FINAL GROUP BY symbol ORDER BY symbol';

test('two backfill workers into a two-replica cluster: every row once on both replicas, Distributed reads equal one server', { timeout: 900_000 }, async (t) => {
  const cluster = await clickhouseClusterService();
  if (cluster === undefined) return t.skip('no ClickHouse cluster (none named, and infra/local has no ClickHouse here)');
  const { name, urls } = cluster;
  const [kafka, clickhouse] = await Promise.all([kafkaService(), clickhouseService()]);
  if (kafka === undefined || clickhouse === undefined) return t.skip('Kafka or ClickHouse not configured');
  const single = await createClickHouseClient({ url: clickhouse.url, username: clickhouse.username, password: clickhouse.password });
  const replicas: ClickHouseClient[] = await Promise.all(urls.map((url) => createClickHouseClient({ url })));
  t.after(async () => {
    await single.command({ query: `DROP DATABASE IF EXISTS ${RUN}_one` }).catch(() => undefined);
    await replicas[0]?.command({ query: `DROP DATABASE IF EXISTS ${RUN}_cluster ON CLUSTER ${name}` }).catch(() => undefined);
    await Promise.all([single, ...replicas].map((c) => c.close()));
  });
  const archive = await tempDir('cluster-archive');
  await generateArchiveMirror(archive, { markets: ['spot'], symbols: SYMBOLS, types: ['trades', 'aggTrades'], fromDay: '2025-07-01', toDay: '2025-07-10', eventsPerDay: 5_000 });

  const manifest = join(await tempDir('cluster-manifest'), 'backfill.jsonl'); // not ./.lakehouse: an earlier run's entries would skip every file
  const one = await runBackfillJson(backfillCommand, [...REQUEST, '--archive', archive, '--manifest', manifest, '--sink', 'clickhouse', '--clickhouse-url', clickhouse.url,
    '--clickhouse-user', clickhouse.username, '--clickhouse-password', clickhouse.password, '--clickhouse-database', `${RUN}_one`]);
  assert.equal(one.exitCode, 0, one.stdout + one.stderr);
  const expected = await clickhouseDigest(single, `${RUN}_one`, KINDS);
  assert.equal(expected.trades?.rows, 150_000);

  const database = `${RUN}_cluster`;
  const sinks = (url: string): string[] => ['--archive', archive, '--sink', 'clickhouse', '--clickhouse-url', url, '--clickhouse-database', database,
    '--clickhouse-cluster', name, '--clickhouse-cluster-urls', urls.join(','),
    '--kafka-brokers', kafka.brokers.join(','), '--topic-prefix', `${RUN}.`, '--group-id', `${RUN}-workers`];
  const enqueued = await runCommand(backfillCommand, [...REQUEST, ...sinks(urls[0] as string), '--enqueue', '--work-partitions', '6']);
  assert.equal(enqueued.exitCode, 0, enqueued.stdout + enqueued.stderr);
  const start = (url: string): { child: ChildProcess; stderr: () => string } => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'lakehouse.mjs'), 'backfill', '--worker', '--exit-when-drained', ...sinks(url)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let text = '';
    child.stderr?.on('data', (chunk: Buffer) => { text += chunk.toString(); });
    t.after(() => child.kill('SIGKILL'));
    return { child, stderr: () => text };
  };
  // The second worker starts once the first has created the tables (two migrations of one server at once
  // would race on CREATE TABLE IF NOT EXISTS).
  const first = start(urls[0] as string);
  while (!first.stderr().includes('loaded ')) {
    assert.equal(first.child.exitCode, null, first.stderr());
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const second = start(urls[1] as string);
  for (const worker of [first, second]) {
    const [status] = worker.child.exitCode === null ? await once(worker.child, 'exit') as [number | null] : [worker.child.exitCode];
    assert.equal(status, 0, worker.stderr());
  }

  for (const [i, replica] of replicas.entries()) {
    for (const kind of KINDS) await replica.command({ query: `SYSTEM SYNC REPLICA ${database}.${tableNameOf(kind)}_local` });
    assert.deepEqual(await clickhouseDigest(replica, database, KINDS, (kind) => `${tableNameOf(kind)}_local`), expected, `replica ${i + 1}`);
    assert.deepEqual(await clickhouseDigest(replica, database, KINDS), expected, `Distributed tables of replica ${i + 1}`);
  }
  const printed = async (url: string, db: string, auth: string[]): Promise<string> => {
    const run = await runCommand(queryCommand, [SQL, '--clickhouse-url', url, '--clickhouse-database', db, '--json', ...auth]);
    assert.equal(run.exitCode, 0, run.stderr);
    return run.stdout;
  };
  const reference = await printed(clickhouse.url, `${RUN}_one`, ['--clickhouse-user', clickhouse.username, '--clickhouse-password', clickhouse.password]);
  assert.equal(reference.trim().split('\n').length, SYMBOLS.length);
  for (const url of urls) assert.equal(await printed(url, database, []), reference);
});
