/**
 * A zip damaged inside but matching its `.CHECKSUM` (damaged upstream, or loaded with --no-verify) must fail
 * before any of its rows is handed on: rows already written to a sink cannot be taken back.
 */
import { isRowBinaryRows, type RowBinaryRows } from '../../../connectors/clickhouse/row-binary-rows.js';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { EarlyEncoder } from '../../../connectors/binance-archive/from-binance-archive.js';
import { rowsOf, type RecordBatch } from '../../../connectors/sink.js';
import type { KindName } from '../../../schemas/records.js';
import { checkArchiveZip } from '../../../connectors/binance-archive/parse-archive-file.js';
import { resolveAvailability } from '../../../connectors/binance-archive/availability.js';
import { dirSource } from '../../../connectors/binance-archive/source-dir.js';
import { generateArchiveMirror, type GeneratedFile } from '../../support/archive-mirror.js';
import { breakCrc, damageDeflate } from '../../support/archive-zip.js';
import { removeTempDirs, tempDir } from '../../pipelines/backfill-support.js';
import { loadArchive } from '../../support/archive-load.js';

after(removeTempDirs);

describe('a zip damaged inside its deflate stream', () => {
  let dir = '';
  let intact: GeneratedFile;
  let damaged: GeneratedFile;
  before(async () => {
    dir = await tempDir('damaged-zip');
    [intact, damaged] = await generateArchiveMirror(dir, { markets: ['spot'], symbols: ['BTCUSDT'], types: ['trades'], fromDay: '2025-07-01', toDay: '2025-07-02', eventsPerDay: 5000 }) as [GeneratedFile, GeneratedFile];
    await damageDeflate(damaged);
  });

  it('checkArchiveZip accepts the intact file and rejects the damaged one, naming it', async () => {
    await checkArchiveZip(intact.path, intact.size, intact.file);
    await assert.rejects(checkArchiveZip(damaged.path, (await readFile(damaged.path)).length, damaged.file), (error: Error) => {
      assert.equal(error.name, 'ConnectorError');
      assert.match(error.message, /BTCUSDT-trades-2025-07-02\.zip: corrupt or truncated zip/);
      return true;
    });
  });

  it('no batch of the damaged file is written (though it spans many batches) and reports it failed', async () => {
    const plan = await resolveAvailability([intact.file, damaged.file], dirSource(dir));
    const events = await loadArchive({ files: plan.files, source: dirSource(dir), batchRows: 200, concurrency: 1 });
    const batchesOf = (key: string): number => events.filter((e) => e.type === 'batch' && e.file.key === key).length;
    assert.equal(batchesOf(intact.key), 25);
    assert.equal(batchesOf(damaged.key), 0);
    const outcome = events.find((e) => e.type === 'file' && e.outcome.file.key === damaged.key);
    assert.ok(outcome?.type === 'file');
    assert.equal(outcome.outcome.status, 'failed');
    assert.match(outcome.outcome.reason ?? '', /corrupt or truncated zip/);
  });
});

describe('a zip whose stored CRC-32 is wrong (inflates cleanly to the right rows)', () => {
  let dir = '';
  let intact: GeneratedFile;
  let badCrc: GeneratedFile;
  before(async () => {
    dir = await tempDir('bad-crc');
    [intact, badCrc] = await generateArchiveMirror(dir, { markets: ['spot'], symbols: ['BTCUSDT'], types: ['trades'], fromDay: '2025-07-01', toDay: '2025-07-02', eventsPerDay: 5000 }) as [GeneratedFile, GeneratedFile];
    await breakCrc(badCrc);
  });

  it('emits none of its batches and reports a CRC-32 mismatch; the intact file loads in order', async () => {
    const plan = await resolveAvailability([intact.file, badCrc.file], dirSource(dir));
    const events = await loadArchive({ files: plan.files, source: dirSource(dir), batchRows: 200, concurrency: 1, parseConcurrency: 1 });
    const units = (key: string): string[] => events.flatMap((e) => (e.type === 'batch' && e.file.key === key ? [e.batch.unitId.split('#')[1] ?? ''] : []));
    assert.deepEqual(units(intact.key), Array.from({ length: 25 }, (_, i) => String(i)));
    assert.deepEqual(units(badCrc.key), []);
    const outcomes = events.flatMap((e) => (e.type === 'file' ? [e.outcome] : []));
    assert.deepEqual(outcomes.map((o) => [o.file.key, o.status]), [[intact.key, 'loaded'], [badCrc.key, 'failed']]);
    assert.match(outcomes[1]?.reason ?? '', /BTCUSDT-trades-2025-07-02\.zip.*CRC-32 mismatch/);
    assert.equal(outcomes[0]?.stats?.rows, 5000);
  });
});

/** An early encoder for the tests: each record as a JSON line; rejects nothing. */
function jsonLines(): (kind: KindName) => EarlyEncoder {
  return () => {
    let chunks: Buffer[] = [];
    let rows = 0;
    return {
      get rows() { return rows; },
      add(records) { chunks.push(Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join(''))); rows += records.length; return []; },
      take() { const out: RowBinaryRows = { format: 'RowBinary', rows, bytes: Buffer.concat(chunks).length, chunks }; chunks = []; rows = 0; return out; },
    };
  };
}

describe('early encoding: parsed while the zip check runs, held until it passed', () => {
  let dir = '';
  let intact: GeneratedFile;
  let badCrc: GeneratedFile;
  let damaged: GeneratedFile;
  before(async () => {
    dir = await tempDir('early-encoding-zip');
    [intact, badCrc, damaged] = await generateArchiveMirror(dir, { markets: ['spot'], symbols: ['BTCUSDT'], types: ['trades'], fromDay: '2025-07-01', toDay: '2025-07-03', eventsPerDay: 5000 }) as [GeneratedFile, GeneratedFile, GeneratedFile];
    await breakCrc(badCrc);
    await damageDeflate(damaged);
  });

  // holdBytes 1: every batch waits for the check at once; the default holds the whole (small) file.
  for (const holdBytes of [1, undefined]) {
    it(`writes every row of the intact file in encoded batches and nothing of a damaged one (hold ${holdBytes ?? 'default'})`, async () => {
      const plan = await resolveAvailability([intact.file, badCrc.file, damaged.file], dirSource(dir));
      const paced: RecordBatch[] = [];
      const events = await loadArchive({
        files: plan.files, source: dirSource(dir), batchRows: 1000, concurrency: 1, parseConcurrency: 1, encoder: jsonLines(),
        ...(holdBytes === undefined ? {} : { holdBytes }),
      }, async (batch) => { paced.push(batch); }, { inFlight: 2 });
      const batches = events.flatMap((e) => (e.type === 'batch' ? [e] : []));
      assert.deepEqual(batches.map((e) => e.file.key), Array.from({ length: 5 }, () => intact.key));
      assert.deepEqual(paced.map((b) => [b.unitId.split('#')[1], b.records.length, b.encoded?.rows]), Array.from({ length: 5 }, (_, i) => [String(i), 0, 1000]));
      const ids = paced.flatMap((b) => Buffer.concat(b.encoded !== undefined && isRowBinaryRows(b.encoded) ? b.encoded.chunks : []).toString().trim().split('\n').map((line) => (JSON.parse(line) as { tradeId: number }).tradeId));
      assert.equal(ids.length, 5000);
      assert.ok(ids.every((id, i) => i === 0 || id > (ids[i - 1] ?? 0)), 'rows in file order');
      const outcomes = events.flatMap((e) => (e.type === 'file' ? [e.outcome] : []));
      assert.deepEqual(outcomes.map((o) => [o.file.key, o.status]), [[intact.key, 'loaded'], [badCrc.key, 'failed'], [damaged.key, 'failed']]);
      assert.match(outcomes[1]?.reason ?? '', /BTCUSDT-trades-2025-07-02\.zip.*CRC-32 mismatch/);
      assert.match(outcomes[2]?.reason ?? '', /BTCUSDT-trades-2025-07-03\.zip: corrupt or truncated zip/);
    });
  }
});

describe('staged files: written as parsed without a zip check, committed after the parse verified the member, else aborted', () => {
  let dir = '';
  let intact: GeneratedFile;
  let badCrc: GeneratedFile;
  let damaged: GeneratedFile;
  before(async () => {
    dir = await tempDir('staged-zip');
    [intact, badCrc, damaged] = await generateArchiveMirror(dir, { markets: ['spot'], symbols: ['BTCUSDT'], types: ['trades'], fromDay: '2025-07-01', toDay: '2025-07-03', eventsPerDay: 5000 }) as [GeneratedFile, GeneratedFile, GeneratedFile];
    await breakCrc(badCrc);
    await damageDeflate(damaged);
  });

  for (const encoder of [undefined, jsonLines()]) {
    it(`every batch of a file carries its stage; the intact file ends with a commit, a damaged one with an abort (${encoder === undefined ? 'records' : 'encoded'})`, async () => {
      const plan = await resolveAvailability([intact.file, badCrc.file, damaged.file], dirSource(dir));
      const paced: RecordBatch[] = [];
      const events = await loadArchive({
        files: plan.files, source: dirSource(dir), batchRows: 1000, concurrency: 1, parseConcurrency: 1, staged: true,
        ...(encoder === undefined ? {} : { encoder }),
      }, async (batch) => { paced.push(batch); }, { inFlight: 2 });
      const stageOf = (g: GeneratedFile): string => `${g.key}@${g.sha256.slice(0, 16)}`;
      const of = (g: GeneratedFile): RecordBatch[] => paced.filter((b) => b.unitId.startsWith(`${g.key}@`));
      assert.ok(paced.every((b) => b.stage !== undefined && b.unitId.startsWith(`${b.stage.id}#`)), 'every batch is staged under its file');
      const intactBatches = of(intact);
      assert.deepEqual(intactBatches.map((b) => b.stage), [...Array.from({ length: 5 }, () => ({ id: stageOf(intact) })), { id: stageOf(intact), end: 'commit' }]);
      assert.equal(intactBatches.reduce((n, b) => n + rowsOf(b), 0), 5000);
      // The bad CRC shows only at the member's end: all its rows were staged, then the stage aborted.
      assert.deepEqual(of(badCrc).map((b) => b.stage?.end ?? null), [null, null, null, null, null, 'abort']);
      assert.equal(of(damaged).at(-1)?.stage?.end, 'abort');
      assert.ok(of(damaged).every((b) => b.stage?.end !== 'commit'));
      assert.equal(events.filter((e) => e.type === 'batch').length, paced.length, 'the ends are emitted too');
      const outcomes = events.flatMap((e) => (e.type === 'file' ? [e.outcome] : []));
      assert.deepEqual(outcomes.map((o) => [o.file.key, o.status]), [[intact.key, 'loaded'], [badCrc.key, 'failed'], [damaged.key, 'failed']]);
      assert.match(outcomes[1]?.reason ?? '', /BTCUSDT-trades-2025-07-02\.zip.*CRC-32 mismatch/);
      assert.match(outcomes[2]?.reason ?? '', /BTCUSDT-trades-2025-07-03\.zip: corrupt or truncated zip/);
    });
  }

  it('a commit that fails aborts the stage and fails the file', async () => {
    const plan = await resolveAvailability([intact.file], dirSource(dir));
    const paced: RecordBatch[] = [];
    const events = await loadArchive({ files: plan.files, source: dirSource(dir), batchRows: 1000, concurrency: 1, staged: true }, async (batch) => {
      paced.push(batch);
      if (batch.stage?.end === 'commit') throw new Error('attach refused');
    });
    assert.deepEqual(paced.slice(-2).map((b) => b.stage?.end), ['commit', 'abort']);
    const outcome = events.flatMap((e) => (e.type === 'file' ? [e.outcome] : []))[0];
    assert.equal(outcome?.status, 'failed');
    assert.match(outcome?.reason ?? '', /attach refused/);
  });
});
