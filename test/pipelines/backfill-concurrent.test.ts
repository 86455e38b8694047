/**
 * Two backfills of the same archive into one lake at once (different --batch-rows, so their parts differ) give
 * exactly the lake one backfill gives: the same rows and content in every table, nothing lost, nothing twice,
 * no hidden leftovers, and both report every file loaded. A backfill killed mid-file (SIGKILL) leaves nothing
 * visible, and the next run equals one run and removes the killed run's staged files.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backfillCommand } from '../../pipelines/backfill.js';
import { generateArchiveMirror } from '../support/archive-mirror.js';
import { lakeDigest } from '../support/lake-digest.js';
import { removeTempDirs, runBackfillJson, tempDir } from './backfill-support.js';

after(removeTempDirs);

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TRADES = ['--market', 'spot', '--symbols', 'BTCUSDT', '--types', 'trades', '--from', '2025-07-01', '--no-list'];
const REQUEST = ['--market', 'spot', '--symbols', 'BTCUSDT', '--types', 'trades,aggTrades', '--from', '2025-07-01', '--to', '2025-07-02', '--no-list'];

/** Files under `root` whose names start with a dot (staged, temp), outside `_manifest`. */
async function hiddenFiles(root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile() && e.name.startsWith('.') && !e.parentPath.includes('_manifest')).map((e) => join(e.parentPath, e.name));
}

test('two backfills writing one lake at once equal one backfill', { timeout: 300_000 }, async () => {
  const archive = await tempDir('concurrent-archive');
  await generateArchiveMirror(archive, { markets: ['spot'], symbols: ['BTCUSDT'], types: ['trades', 'aggTrades'], fromDay: '2025-07-01', toDay: '2025-07-02', eventsPerDay: 20_000 });
  const one = await tempDir('concurrent-one');
  const single = await runBackfillJson(backfillCommand, [...REQUEST, '--archive', archive, '--lake', one]);
  assert.equal(single.exitCode, 0, single.stdout + single.stderr);
  assert.deepEqual(await readdir(join(one, '_manifest', 'writers')), [], 'a finished run leaves no writer heartbeat');
  const expected = await lakeDigest(one);
  assert.deepEqual(Object.keys(expected), ['aggTrades', 'trades']);
  assert.equal(expected.trades.rows, 40_000);

  const two = await tempDir('concurrent-two');
  const runs = await Promise.all(['3000', '7000', '20000'].map((rows) => runBackfillJson(backfillCommand, [...REQUEST, '--archive', archive, '--lake', two, '--batch-rows', rows])));
  for (const run of runs) {
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    assert.equal(run.report.loaded, 4, JSON.stringify(run.report.files));
  }
  assert.deepEqual(await lakeDigest(two), expected);
  assert.deepEqual(await hiddenFiles(two), []);
});

test('a backfill killed mid-file leaves nothing visible; the next run takes its place and sweeps what it left', { timeout: 300_000 }, async () => {
  const archive = await tempDir('killed-archive');
  await generateArchiveMirror(archive, { markets: ['spot'], symbols: ['BTCUSDT'], types: ['trades'], fromDay: '2025-07-01', toDay: '2025-07-01', eventsPerDay: 200_000 });
  const one = await tempDir('killed-one');
  assert.equal((await runBackfillJson(backfillCommand, [...TRADES, '--archive', archive, '--lake', one])).exitCode, 0);
  const lake = await tempDir('killed-lake');
  const child = spawn(process.execPath, [join(REPO, 'bin/lakehouse.mjs'), 'backfill', ...TRADES, '--archive', archive, '--lake', lake, '--batch-rows', '1000'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // Killed once it staged parts of the file, before their commit. Polls the file's one day directory, which
  // no run removes (a recursive listing of the whole lake races the writer's lease and heartbeat files).
  const day = join(lake, 'exchange=binance/market=spot/type=trades/symbol=BTCUSDT/date=2025-07-01');
  while ((await readdir(day).catch(() => [])).filter((f) => f.endsWith('.staged')).length < 3) {
    assert.equal(child.exitCode, null, 'the backfill ended before it was killed');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  child.kill('SIGKILL');
  await exited;
  assert.deepEqual((await readdir(lake, { recursive: true })).filter((f) => f.endsWith('.parquet')), [], 'nothing of the killed file is visible');
  const rerun = await runBackfillJson(backfillCommand, [...TRADES, '--archive', archive, '--lake', lake]);
  assert.equal(rerun.exitCode, 0, rerun.stdout + rerun.stderr);
  assert.deepEqual(await lakeDigest(lake), await lakeDigest(one));
  assert.deepEqual(await hiddenFiles(lake), []);
});
