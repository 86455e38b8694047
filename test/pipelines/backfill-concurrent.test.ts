/**
 * Two backfills of the same archive into one lake at once (different --batch-rows, so their parts differ) give
 * exactly the lake one backfill gives: the same rows and content in every table, nothing lost, nothing twice,
 * no hidden leftovers, and both report every file loaded.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { backfillCommand } from '../../pipelines/backfill.js';
import { generateArchiveMirror } from '../support/archive-mirror.js';
import { lakeDigest } from '../support/lake-digest.js';
import { removeTempDirs, runBackfillJson, tempDir } from './backfill-support.js';

after(removeTempDirs);

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
