/**
 * Order is not an error, through Kafka and `serve`: an archive day whose rows are out of place (swapped a few
 * rows apart, minutes of event time against a 1 s lateness) and repeated far from their originals, produced
 * to Kafka by `backfill --sink kafka` twice (a re-run: every row again, after the whole day), then served into
 * ClickHouse and the lake. Every distinct id lands once in ClickHouse `FINAL` and in the lake's latest rows.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, test } from 'node:test';
import { queryLake } from '../../connectors/parquet/query-lake.js';
import { backfillCommand } from '../../pipelines/backfill.js';
import { generateArchiveMirror, writeArchiveFile } from '../support/archive-mirror.js';
import { removeTempDirs, runBackfillJson, tempDir } from '../pipelines/backfill-support.js';
import { lambdaServices, serveUntil } from './lambda-support.js';

after(removeTempDirs);

const RUN = `so${Date.now().toString(36)}${process.pid}`;
const TRADES = 2000;

test('rows out of place and repeated, through backfill --sink kafka and serve: every distinct id once in ClickHouse FINAL and the lake', { timeout: 240_000 }, async (t) => {
  const database = `${RUN}_db`;
  const services = await lambdaServices(t, database);
  if (services === undefined) return;
  const { env, rows } = services;
  const symbol = `O${RUN}USDT`.toUpperCase();
  const prefix = `${RUN}.`;
  const dir = await tempDir('serve-order');
  const [file] = await generateArchiveMirror(dir, { markets: ['spot'], symbols: [symbol], types: ['trades'], fromDay: '2025-07-01', toDay: '2025-07-01', eventsPerDay: TRADES });
  assert.ok(file !== undefined);
  const lines = execFileSync('unzip', ['-p', file.path]).toString().trim().split('\n');
  const ids = lines.map((line) => Number(line.split(',')[0]));
  for (let i = 10; i + 3 < lines.length; i += 37) [lines[i], lines[i + 3]] = [lines[i + 3]!, lines[i]!]; // rows a few places out
  lines.splice(1500, 0, lines[40]!, lines[900]!); // verbatim repeats far from their originals
  await writeArchiveFile(dir, file.file, { lines });

  for (const manifest of ['first', 'again']) {
    const result = await runBackfillJson({ ...backfillCommand, run: (a, context) => backfillCommand.run(a, { ...context, env }) }, [
      '--market', 'spot', '--symbols', symbol, '--types', 'trades', '--from', '2025-07-01', '--archive', dir,
      '--sink', 'kafka', '--topic-prefix', prefix, '--manifest', `${dir}/${manifest}.jsonl`, '--batch-rows', '300']);
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    assert.equal(result.report.rows, TRADES);
  }

  const lake = await tempDir('serve-order-lake');
  const final = `SELECT toString(count()) AS n, toString(uniqExact(tradeId)) AS ids FROM ${database}.trades FINAL WHERE symbol = '${symbol}'`;
  await serveUntil([
    '--group-id', `${RUN}-group`, '--topic-prefix', prefix, '--sink', 'clickhouse,parquet', '--lake', lake, '--intervals', '1m',
    '--idle-flush', '1s', '--clickhouse-database', database,
  ], env, async () => Number((await rows<{ n: string }>(final))[0]?.n) >= TRADES);

  assert.deepEqual(await rows(final), [{ n: String(TRADES), ids: String(TRADES) }]);
  const inClickHouse = await rows<{ id: string }>(`SELECT toString(tradeId) AS id FROM ${database}.trades FINAL WHERE symbol = '${symbol}' ORDER BY tradeId`);
  assert.deepEqual(inClickHouse.map((r) => Number(r.id)), ids);
  const inLake = await queryLake({ root: lake, latestOnly: true, sql: `SELECT tradeId::BIGINT AS id FROM trades WHERE symbol = '${symbol}' ORDER BY tradeId` });
  assert.deepEqual(inLake.map((r) => Number(r.id)), ids);
  const [stored] = await queryLake({ root: lake, sql: `SELECT count(DISTINCT tradeId)::INTEGER AS ids FROM trades WHERE symbol = '${symbol}'` });
  assert.equal(stored.ids, TRADES);
});
