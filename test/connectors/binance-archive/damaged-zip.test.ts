/**
 * A zip damaged inside but matching its `.CHECKSUM` (damaged upstream, or loaded with --no-verify) must fail
 * before any of its rows is handed on: rows already written to a sink cannot be taken back.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { lastValueFrom, toArray } from 'rxjs';
import { fromBinanceArchive } from '../../../connectors/binance-archive/from-binance-archive.js';
import { checkArchiveZip } from '../../../connectors/binance-archive/parse-archive-file.js';
import { resolveAvailability } from '../../../connectors/binance-archive/availability.js';
import { dirSource } from '../../../connectors/binance-archive/source-dir.js';
import { generateArchiveMirror, type GeneratedFile } from '../../support/archive-mirror.js';
import { writeChecksum } from '../../support/archive-zip.js';
import { removeTempDirs, tempDir } from '../../pipelines/backfill-support.js';

after(removeTempDirs);

describe('a zip damaged inside its deflate stream', () => {
  let dir = '';
  let intact: GeneratedFile;
  let damaged: GeneratedFile;
  before(async () => {
    dir = await tempDir('damaged-zip');
    [intact, damaged] = await generateArchiveMirror(dir, { markets: ['spot'], symbols: ['BTCUSDT'], types: ['trades'], fromDay: '2025-07-01', toDay: '2025-07-02', eventsPerDay: 5000 }) as [GeneratedFile, GeneratedFile];
    // Flip bytes in the last fifth of the compressed member (the central directory stays intact); matching CHECKSUM.
    const bytes = await readFile(damaged.path);
    const directory = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    for (let i = Math.floor(directory * 0.8); i < directory - 20; i += 50) bytes[i] = (bytes[i] ?? 0) ^ 0xff;
    await writeFile(damaged.path, bytes);
    await writeChecksum(damaged.path, createHash('sha256').update(bytes).digest('hex'), true);
  });

  it('checkArchiveZip accepts the intact file and rejects the damaged one, naming it', async () => {
    await checkArchiveZip(intact.path, intact.size, intact.file);
    await assert.rejects(checkArchiveZip(damaged.path, (await readFile(damaged.path)).length, damaged.file), (error: Error) => {
      assert.equal(error.name, 'ConnectorError');
      assert.match(error.message, /BTCUSDT-trades-2025-07-02\.zip: corrupt or truncated zip/);
      return true;
    });
  });

  it('fromBinanceArchive emits no batch of the damaged file (though it spans many batches) and reports it failed', async () => {
    const plan = await resolveAvailability([intact.file, damaged.file], dirSource(dir));
    const events = await lastValueFrom(fromBinanceArchive({ files: plan.files, source: dirSource(dir), batchRows: 200, concurrency: 1 }).pipe(toArray()));
    const batchesOf = (key: string): number => events.filter((e) => e.type === 'batch' && e.file.key === key).length;
    assert.equal(batchesOf(intact.key), 25);
    assert.equal(batchesOf(damaged.key), 0);
    const outcome = events.find((e) => e.type === 'file' && e.outcome.file.key === damaged.key);
    assert.ok(outcome?.type === 'file');
    assert.equal(outcome.outcome.status, 'failed');
    assert.match(outcome.outcome.reason ?? '', /corrupt or truncated zip/);
  });
});
