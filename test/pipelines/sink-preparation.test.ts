/**
 * A ClickHouse sink whose table setup fails while the next sink is still being built (here the lake's, which
 * loads its writer and compactor modules first) leaves no unhandled rejection: its failure is the `ready` of the
 * built sinks, which serve awaits and answers with a new session. Before, the rejection of the table setup had
 * no handler until every sink was built, so when ClickHouse refused faster than the lake modules loaded, Node
 * ended the process (`serve` exited 1 while ClickHouse was down: the chaos suite's ClickHouse-down scenario).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { buildSinks } from '../../pipelines/backfill-sinks.js';
import { removeTempDirs, tempDir } from './backfill-support.js';

test('a ClickHouse table setup that fails while the lake sink is built is no unhandled rejection', { timeout: 60_000 }, async (t) => {
  t.after(removeTempDirs);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  const unhandled: unknown[] = [];
  const record = (reason: unknown): void => { unhandled.push(reason); };
  process.on('unhandledRejection', record);
  t.after(() => { process.off('unhandledRejection', record); });
  const built = await buildSinks({ sink: ['clickhouse', 'parquet'], clickhouseUrl: `http://127.0.0.1:${port}`, lake: await tempDir('sink-preparation'), compactLake: true });
  await assert.rejects(built.ready, /creating the tables of database .* failed/);
  await built.close();
  await new Promise((resolve) => setTimeout(resolve, 200)); // a rejection without a handler is reported after the tick it happened in
  assert.deepEqual(unhandled.map(String), []);
});

test('a failed lake compaction is told to the run through onBackgroundError (the run log), not printed beside it', { timeout: 60_000 }, async (t) => {
  t.after(removeTempDirs);
  const lake = await tempDir('sink-background-error');
  const dir = 'exchange=binance/market=spot/type=trades/symbol=BTCUSDT/date=2025-07-01';
  await mkdir(join(lake, dir), { recursive: true });
  await writeFile(join(lake, dir, 'part-broken.parquet'), 'not parquet');
  // A dead writer's mark: the compactor compacts the directory at its start, and the broken part fails it.
  await mkdir(join(lake, '_manifest/compaction'), { recursive: true });
  const hash = createHash('sha256').update(dir).digest('hex').slice(0, 32);
  await writeFile(join(lake, `_manifest/compaction/${hash}.dead0000dead0000.json`), JSON.stringify({ dir, writer: 'dead0000dead0000' }));
  const told: [string, string, unknown][] = [];
  const built = await buildSinks({ sink: ['parquet'], lake, compactLake: true }, { onBackgroundError: (sink, where, error) => { told.push([sink, where, error]); } });
  await built.ready;
  await built.close();
  assert.ok(told.length >= 1, 'told at least once (at the start, and again at close: the directory stays due)');
  assert.deepEqual([...new Set(told.map(([sink, where]) => `${sink} ${where}`))], [`parquet ${dir}`]);
  assert.ok(told[0]?.[2] instanceof Error);
});
