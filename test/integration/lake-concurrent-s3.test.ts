/**
 * Two backfills of the same archive into one `s3://` lake at once (real S3 service; different --batch-rows)
 * give exactly the lake one backfill gives: same rows and content per table, no staged object left behind.
 * Also: the store's exclusive create (PutObject If-None-Match) really refuses an existing key on this service.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { lakeStoreFor } from '../../connectors/parquet/lake-store-for.js';
import { backfillCommand } from '../../pipelines/backfill.js';
import { generateArchiveMirror } from '../support/archive-mirror.js';
import { lakeDigest } from '../support/lake-digest.js';
import { downloadPrefix, emptyAndDeleteBucket, s3BucketOrSkip } from '../support/s3-bucket.js';
import { removeTempDirs, runBackfillJson, tempDir } from '../pipelines/backfill-support.js';

after(removeTempDirs);

const BUCKET = `concurrent-${Date.now().toString(36)}-${process.pid}`;
const REQUEST = ['--market', 'spot', '--symbols', 'BTCUSDT', '--types', 'trades,aggTrades', '--from', '2025-07-01', '--to', '2025-07-02', '--no-list'];

test('two backfills writing one s3:// lake at once equal one backfill', { timeout: 300_000 }, async (t) => {
  const bucket = await s3BucketOrSkip(t, BUCKET);
  if (bucket === undefined) return;
  const { client, env } = bucket;
  try {
    const store = lakeStoreFor(`s3://${BUCKET}/control`, client);
    assert.equal(await store.control.create('_manifest/leases/x.json', 'a'), true);
    assert.equal(await store.control.create('_manifest/leases/x.json', 'b'), false, 'If-None-Match: * refuses an existing key');
    assert.equal(await store.control.read('_manifest/leases/x.json'), 'a');

    const archive = await tempDir('concurrent-s3-archive');
    await generateArchiveMirror(archive, { markets: ['spot'], symbols: ['BTCUSDT'], types: ['trades', 'aggTrades'], fromDay: '2025-07-01', toDay: '2025-07-02', eventsPerDay: 10_000 });
    const manifests = await tempDir('concurrent-s3-manifests');
    const run = (lake: string, rows: string, manifest: string): ReturnType<typeof runBackfillJson> => runBackfillJson({ ...backfillCommand, run: (argv, context) => backfillCommand.run(argv, { ...context, env }) },
      [...REQUEST, '--archive', archive, '--lake', `s3://${BUCKET}/${lake}`, '--batch-rows', rows, '--manifest', join(manifests, manifest)]);
    const single = await run('one', '20000', 'one.jsonl');
    assert.equal(single.exitCode, 0, single.stdout + single.stderr);
    const runs = await Promise.all([run('two', '1500', 'a.jsonl'), run('two', '4000', 'b.jsonl')]);
    for (const r of runs) {
      assert.equal(r.exitCode, 0, r.stdout + r.stderr);
      assert.equal(r.report.loaded, 4, JSON.stringify(r.report.files));
    }
    const one = await tempDir('concurrent-s3-one');
    const two = await tempDir('concurrent-s3-two');
    await downloadPrefix(client, BUCKET, 'one', one);
    const keys = await downloadPrefix(client, BUCKET, 'two', two);
    const expected = await lakeDigest(one);
    assert.equal(expected.trades.rows, 20_000);
    assert.deepEqual(await lakeDigest(two), expected);
    assert.deepEqual(keys.filter((k) => k.slice(k.lastIndexOf('/') + 1).startsWith('.')), [], 'no staged object left');
  } finally {
    await emptyAndDeleteBucket(client, BUCKET);
    client.destroy();
  }
});
