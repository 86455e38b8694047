/**
 * Distributed backfill across kill -9: a generated archive of 60 files published with `backfill --enqueue`,
 * loaded into ClickHouse and the lake by three `backfill --worker` processes of one group, one of them killed
 * with SIGKILL once it has loaded a few files (others in flight). The survivors take its partitions over and
 * exit once the queue is drained; the final tables equal those of one single-process backfill of the same
 * archive (row counts and content hashes, ClickHouse `FINAL` and the lake), no staging table or staged part is
 * left, and the manifest topic holds every file as loaded, so `--enqueue --since-last` finds nothing left.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createClickHouseClient } from '../../connectors/clickhouse/config.js';
import { openTopicManifest } from '../../connectors/kafka/topic-manifest.js';
import { backfillCommand } from '../../pipelines/backfill.js';
import type { BackfillReport } from '../../pipelines/backfill-report.js';
import { generateArchiveMirror } from '../support/archive-mirror.js';
import { clickhouseDigest } from '../support/clickhouse-digest.js';
import { lakeDigest } from '../support/lake-digest.js';
import { clickhouseService, kafkaService } from '../support/services.js';
import { removeTempDirs, runBackfillJson, runCommand, tempDir } from '../pipelines/backfill-support.js';

after(removeTempDirs);

const RUN = `bw${Date.now().toString(36)}${process.pid}`;
const ROOT = join(import.meta.dirname, '..', '..');
const SYMBOLS = ['AAAUSDT', 'BBBUSDT', 'CCCUSDT'];
const REQUEST = ['--market', 'spot', '--symbols', SYMBOLS.join(','), '--types', 'trades,aggTrades', '--from', '2025-07-01', '--to', '2025-07-10', '--no-list'];
const FILES = SYMBOLS.length * 2 * 10;

/** Files under `root` whose names start with a dot (staged, temp), outside `_manifest`. */
async function hiddenFiles(root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile() && e.name.startsWith('.') && !e.parentPath.includes('_manifest')).map((e) => join(e.parentPath, e.name));
}

/** A worker process with its output collected. */
interface Worker { readonly child: ChildProcess; stdout: string; stderr: string }

test('three backfill workers, one killed with SIGKILL mid-way, load exactly what one backfill loads', { timeout: 900_000 }, async (t) => {
  const [kafka, clickhouse] = await Promise.all([kafkaService(), clickhouseService()]);
  if (kafka === undefined || clickhouse === undefined) return t.skip('Kafka or ClickHouse not configured');
  const client = await createClickHouseClient({ url: clickhouse.url, username: clickhouse.username, password: clickhouse.password });
  t.after(async () => {
    for (const db of [`${RUN}_one`, `${RUN}_workers`]) await client.command({ query: `DROP DATABASE IF EXISTS ${db}` }).catch(() => undefined);
    await client.close();
  });
  const archive = await tempDir('workers-archive');
  await generateArchiveMirror(archive, { markets: ['spot'], symbols: SYMBOLS, types: ['trades', 'aggTrades'], fromDay: '2025-07-01', toDay: '2025-07-10', eventsPerDay: 10_000 });
  const sinks = (database: string, lake: string): string[] => ['--archive', archive, '--sink', 'clickhouse,parquet', '--lake', lake,
    '--clickhouse-url', clickhouse.url, '--clickhouse-user', clickhouse.username, '--clickhouse-password', clickhouse.password, '--clickhouse-database', database];

  const oneLake = await tempDir('workers-one');
  const single = await runBackfillJson(backfillCommand, [...REQUEST, ...sinks(`${RUN}_one`, oneLake)]);
  assert.equal(single.exitCode, 0, single.stdout + single.stderr);
  assert.equal(single.report.loaded, FILES);
  const kinds = ['trade', 'aggTrade', 'deadLetter'] as const;
  const expected = await clickhouseDigest(client, `${RUN}_one`, kinds);
  assert.equal(expected.trades?.rows, 300_000);
  const expectedLake = await lakeDigest(oneLake);

  const lake = await tempDir('workers-lake');
  const queue = ['--kafka-brokers', kafka.brokers.join(','), '--topic-prefix', `${RUN}.`, '--group-id', `${RUN}-workers`];
  const enqueued = await runCommand(backfillCommand, [...REQUEST, ...sinks(`${RUN}_workers`, lake), ...queue, '--enqueue', '--work-partitions', '6', '--json']);
  assert.equal(enqueued.exitCode, 0, enqueued.stdout + enqueued.stderr);
  assert.equal((JSON.parse(enqueued.stdout) as { enqueued: number }).enqueued, FILES);

  const workers: Worker[] = [0, 1, 2].map(() => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'lakehouse.mjs'), 'backfill', '--worker', '--exit-when-drained', '--json', ...sinks(`${RUN}_workers`, lake), ...queue], { stdio: ['ignore', 'pipe', 'pipe'] });
    const worker: Worker = { child, stdout: '', stderr: '' };
    child.stdout?.on('data', (chunk: Buffer) => { worker.stdout += chunk.toString(); });
    child.stderr?.on('data', (chunk: Buffer) => { worker.stderr += chunk.toString(); });
    t.after(() => child.kill('SIGKILL'));
    return worker;
  });
  const loadedBy = (worker: Worker): number => worker.stderr.split('\n').filter((line) => line.startsWith('loaded ')).length;
  const [victim, ...survivors] = workers as [Worker, Worker, Worker];
  while (loadedBy(victim) < 3) {
    assert.equal(victim.child.exitCode, null, `the worker to kill exited early: ${victim.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  victim.child.kill('SIGKILL');
  await once(victim.child, 'exit');
  const killedLoaded = loadedBy(victim);
  assert.ok(killedLoaded < FILES, 'killed before the queue was done');

  const statuses = await Promise.all(survivors.map(async ({ child }) => (child.exitCode ?? (await once(child, 'exit') as [number | null])[0])));
  assert.deepEqual(statuses, [0, 0], survivors.map((w) => w.stderr).join('\n'));
  const reports = survivors.map((w) => JSON.parse(w.stdout.trim().split('\n').at(-1) ?? '{}') as BackfillReport);
  assert.equal(reports.reduce((n, r) => n + r.failed, 0), 0);
  // Every file was loaded by someone (a file the victim loaded but did not commit is skipped or loaded again).
  assert.ok(reports.reduce((n, r) => n + r.loaded + r.skipped, 0) + killedLoaded >= FILES);

  assert.deepEqual(await clickhouseDigest(client, `${RUN}_workers`, kinds), expected);
  assert.deepEqual(await lakeDigest(lake), expectedLake);
  assert.deepEqual(await hiddenFiles(lake), [], 'no staged part left behind');
  const staging = await (await client.query({ query: `SELECT name FROM system.tables WHERE database = '${RUN}_workers' AND name LIKE '%__stage_%'`, format: 'JSONEachRow' })).json();
  assert.deepEqual(staging, [], 'no staging table left behind');

  const scope = `clickhouse=${RUN}_workers,parquet=${lake}`;
  const manifest = await openTopicManifest({ kafka, topic: `${RUN}.lakehouse.backfill.manifest`, scope });
  try {
    const entries = manifest.entries();
    assert.equal(entries.length, FILES);
    assert.ok(entries.every((e) => e.status === 'loaded'));
  } finally {
    await manifest.close();
  }
  const sinceLast = await runCommand(backfillCommand, [...REQUEST.filter((a) => a !== '--from' && a !== '2025-07-01'), '--since-last', ...sinks(`${RUN}_workers`, lake), ...queue, '--enqueue']);
  assert.equal(sinceLast.exitCode, 0, sinceLast.stderr);
  assert.match(sinceLast.stderr, /nothing to enqueue/);
});
