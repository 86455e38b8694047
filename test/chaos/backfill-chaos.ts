/**
 * Chaos for `lakehouse backfill`: killed with SIGKILL at seeded moments while it loads a generated archive into
 * a local lake and ClickHouse, then S3 answering 503 in seeded bursts while it loads into an `s3://` lake. Each
 * ends with reruns until one exits 0, then compares the sinks with the archive: every generated row exactly once.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createClickHouseClient } from '../../connectors/clickhouse/config.js';
import { generateArchiveMirror, type GeneratedFile } from '../support/archive-mirror.js';
import type { ChaosLog, ChaosRow } from '../support/chaos-log.js';
import { queryLake } from '../../connectors/parquet/query-lake.js';
import { lakehouseChild } from '../support/lakehouse-child.js';
import { downloadPrefix, emptyAndDeleteBucket, s3BucketOrSkip } from '../support/s3-bucket.js';
import { clickhouseService, s3Service } from '../support/services.js';
import { tempDir } from '../pipelines/backfill-support.js';
import { S3FaultProxy } from './s3-fault-proxy.js';

const TYPES = ['klines:1m', 'trades'];

/** Generated rows per lake type (`trades`, `klines_1m`). */
export function expectedRows(files: readonly GeneratedFile[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const g of files) {
    const type = g.file.kind === 'trade' ? 'trades' : 'klines_1m';
    out[type] = (out[type] ?? 0) + g.rows;
  }
  return out;
}

/**
 * A generated archive of `symbols` symbols over four days, and the backfill flags that load it (its manifest
 * in a temporary directory, so that no run reads or writes ./.lakehouse).
 */
export async function mirror(run: string, symbols: number, eventsPerDay: number, types: readonly string[] = TYPES): Promise<{ dir: string; files: GeneratedFile[]; request: string[] }> {
  const dir = await tempDir(`chaos-archive-${run}`);
  const names = Array.from({ length: symbols }, (_, i) => `C${String.fromCharCode(65 + i)}${run.toUpperCase()}USDT`);
  const files = await generateArchiveMirror(dir, { markets: ['spot'], symbols: names, types: [...types], fromDay: '2025-07-01', toDay: '2025-07-04', eventsPerDay });
  const manifest = join(await tempDir(`chaos-manifest-${run}`), 'manifest.jsonl');
  return { dir, files, request: ['--market', 'spot', '--symbols', names.join(','), '--types', types.join(','), '--from', '2025-07-01', '--to', '2025-07-04', '--archive', dir,
    '--concurrency', '2', '--manifest', manifest, '--log-format', 'json', '--progress-interval', '250ms'] };
}

/** ` (loaded L, failed F)` from a `--json` backfill report on stdout, or nothing. */
function reportOf(stdout: string): string {
  try {
    const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { loaded: number; skipped: number; failed: number };
    return ` (loaded ${report.loaded}, skipped ${report.skipped}, failed ${report.failed} files)`;
  } catch {
    return '';
  }
}

/**
 * Resolves when the backfill's progress log lines (pino JSON on stderr, `"msg":"progress"`, written every
 * `--progress-interval`) show at least `target(totalFiles)` files done, with the counts then; undefined when
 * it exits first.
 */
export async function filesLoaded(child: ReturnType<typeof lakehouseChild>, target: (total: number) => number): Promise<{ done: number; total: number } | undefined> {
  let wanted: number | undefined;
  let partial = '';
  return Promise.race([child.exit.then(() => undefined), new Promise<{ done: number; total: number }>((resolve) => {
    child.child.stderr?.on('data', (chunk: Buffer) => {
      const lines = (partial + String(chunk)).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines.filter((l) => l.includes('"msg":"progress"'))) {
        const progress = JSON.parse(line) as { files: number; totalFiles: number };
        wanted ??= target(progress.totalFiles);
        if (progress.files >= wanted) resolve({ done: progress.files, total: progress.totalFiles });
      }
    });
  })]);
}

/**
 * Per lake type, rows and distinct identities (a copy written twice with other ingest metadata is a distinct
 * row but the same identity, so `rows == ids == generated` is nothing lost and nothing twice).
 */
export async function lakeIdentities(root: string): Promise<Record<string, { rows: number; ids: number }>> {
  const out: Record<string, { rows: number; ids: number }> = {};
  for (const [type, key] of [['trades', 'symbol, tradeId'], ['klines_1m', 'symbol, openTimeUs']] as const) {
    const [row] = await queryLake({ root, sql: `SELECT count(*) AS n, count(DISTINCT (${key})) AS ids FROM "${type}"` }).catch(() => [{ n: 0, ids: 0 }]);
    out[type] = { rows: Number(row.n), ids: Number(row.ids) };
  }
  return out;
}

/** Runs `argv` until a run exits 0 (at most `runs`), `faulty` injecting faults into each run; the runs' outcomes. */
export async function runUntilDone(argv: string[], runs: number, faulty: (index: number, child: ReturnType<typeof lakehouseChild>) => Promise<unknown>): Promise<string[]> {
  const outcomes: string[] = [];
  for (let i = 0; i < runs; i++) {
    const child = lakehouseChild(argv);
    await faulty(i, child);
    const status = await child.exit;
    outcomes.push(`run ${i + 1}: ${status === null ? 'killed' : `exit ${status}${reportOf(child.stdout())}`}`);
    if (status === 0) return outcomes;
  }
  assert.fail(`no run of ${runs} completed: ${outcomes.join('; ')}`);
}

/** kill -9 of `backfill` into the lake and ClickHouse at seeded moments, twice, then a run to completion. */
export async function backfillKill(t: TestContext, log: ChaosLog, row: ChaosRow, run: string): Promise<void> {
  const clickhouse = await clickhouseService();
  if (clickhouse === undefined) return t.skip('ClickHouse not configured');
  const { files, request } = await mirror(run, 3, 20_000);
  const lake = await tempDir(`chaos-lake-${run}`);
  const database = `${run}_bf`;
  const client = await createClickHouseClient(clickhouse);
  t.after(async () => { await client.command({ query: `DROP DATABASE IF EXISTS ${database}` }); await client.close(); });
  const argv = ['backfill', ...request, '--sink', 'parquet,clickhouse', '--lake', lake, '--clickhouse-database', database,
    '--clickhouse-url', clickhouse.url, '--clickhouse-user', clickhouse.username, '--clickhouse-password', clickhouse.password, '--json'];
  const outcomes = await runUntilDone(argv, 4, async (i, child) => {
    if (i >= 2) return;
    const loaded = await filesLoaded(child, (total) => Math.max(1, Math.floor(log.between(1, total))));
    if (loaded === undefined) return;
    child.child.kill('SIGKILL');
    row.injected += `${row.injected === '' ? '' : ', '}run ${i + 1}: SIGKILL once ${loaded.done} of its ${loaded.total} files were loaded`;
  });

  assert.match(row.injected, /run 2: SIGKILL/, 'both faulty runs were killed (a run that finished first injected nothing)');
  const expected = expectedRows(files);
  const lakeIds = await lakeIdentities(lake);
  for (const [type, rows] of Object.entries(expected)) assert.deepEqual(lakeIds[type], { rows, ids: rows }, `lake ${type}: rows and distinct identities`);
  const count = async (sql: string): Promise<number> => Number((await (await client.query({ query: sql, format: 'JSONEachRow' })).json<{ n: string }>())[0].n);
  assert.equal(await count(`SELECT count() AS n FROM ${database}.trades FINAL`), expected.trades);
  assert.equal(await count(`SELECT uniqExact(symbol, tradeId) AS n FROM ${database}.trades`), expected.trades);
  assert.equal(await count(`SELECT count() AS n FROM ${database}.klines FINAL`), expected.klines_1m);
  assert.equal(await count(`SELECT uniqExact(symbol, \`interval\`, openTimeUs) AS n FROM ${database}.klines`), expected.klines_1m);
  row.outcome = `${outcomes.join('; ')}; lake and ClickHouse FINAL: ${expected.trades} trades, ${expected.klines_1m} klines, each once`;
}

/** S3 answering 503 in seeded bursts while `backfill` writes an `s3://` lake; reruns until one exits 0. */
export async function backfillS3Bursts(t: TestContext, log: ChaosLog, row: ChaosRow, run: string): Promise<void> {
  const service = await s3Service();
  const bucket = `${run}-s3`.toLowerCase();
  const s3 = await s3BucketOrSkip(t, bucket);
  if (s3 === undefined || service === undefined) return;
  t.after(() => emptyAndDeleteBucket(s3.client, bucket));
  const proxy = new S3FaultProxy(new URL(service.endpoint));
  await proxy.open();
  t.after(() => proxy.close());
  const { files, request } = await mirror(`${run}s`, 2, 10_000);
  const argv = ['backfill', ...request, '--sink', 'parquet', '--lake', `s3://${bucket}/lake`, '--s3-endpoint', `http://127.0.0.1:${proxy.port}`,
    '--s3-region', service.region, '--aws-access-key-id', service.accessKeyId, '--aws-secret-access-key', service.secretAccessKey, '--json'];
  const bursts: string[] = [];
  const outcomes = await runUntilDone(argv, 4, async (i, child) => {
    if (i > 0) return;
    let on = true;
    void child.exit.then(() => { on = false; });
    while (on && proxy.forwarded === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    while (on) {
      const ms = Math.round(log.between(1000, 5000));
      proxy.burst(ms);
      bursts.push(`${ms} ms`);
      row.injected = `run 1: ${bursts.length} bursts of 503 (${bursts.join(', ')}), from its first S3 request to its exit`;
      await new Promise((resolve) => setTimeout(resolve, ms + Math.round(log.between(300, 1500))));
    }
  });

  row.injected += `; ${proxy.refused} requests answered 503, ${proxy.forwarded} forwarded`;
  const local = await tempDir(`chaos-s3-copy-${run}`);
  await downloadPrefix(s3.client, bucket, 'lake', local);
  const lakeIds = await lakeIdentities(local);
  const expected = expectedRows(files);
  for (const [type, rows] of Object.entries(expected)) assert.deepEqual(lakeIds[type], { rows, ids: rows }, `s3 lake ${type}: rows and distinct identities`);
  row.outcome = `${outcomes.join('; ')}; lake: ${expected.trades} trades, ${expected.klines_1m} klines, each once`;
}
