import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { loadArchive, type LoadEvent } from '../../support/archive-load.js';
import { resolveAvailability } from '../../../connectors/binance-archive/availability.js';
import { dirSource } from '../../../connectors/binance-archive/source-dir.js';
import { planArchiveFiles, parseTypeRequests } from '../../../connectors/binance-archive/plan.js';
import type { RecordBatch } from '../../../connectors/sink.js';
import { generateArchiveMirror, writeArchiveFile, type GeneratedFile } from '../../support/archive-mirror.js';
import { parquetColumnsEncoding } from '../../../connectors/parquet/parquet-columns-encoding.js';
import { validatedEncoders } from '../../../pipelines/early-encoding.js';
import { removeTempDirs, tempDir } from '../../pipelines/backfill-support.js';

after(removeTempDirs);

describe('fromBinanceArchive', () => {
  let dir = '';
  let generated: GeneratedFile[] = [];
  const files = () => planArchiveFiles({ markets: ['spot'], symbols: ['BTCUSDT'], types: parseTypeRequests(['trades']), fromDay: '2025-07-01', toDay: '2025-07-02' });
  before(async () => {
    dir = await tempDir('from-archive');
    generated = await generateArchiveMirror(dir, { markets: ['spot'], symbols: ['BTCUSDT'], types: ['trades'], fromDay: '2025-07-01', toDay: '2025-07-02', eventsPerDay: 1000 });
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  it('emits content-addressed batches, then one loaded outcome per file, and is the same on a second run', async () => {
    const plan = await resolveAvailability(files(), dirSource(dir));
    const run = () => loadArchive({ files: plan.files, source: dirSource(dir), batchRows: 400, concurrency: 1 });
    const events = await run();
    const batches = events.filter((e): e is Extract<LoadEvent, { type: 'batch' }> => e.type === 'batch');
    const outcomes = events.filter((e): e is Extract<LoadEvent, { type: 'file' }> => e.type === 'file');
    assert.deepEqual(outcomes.map((o) => o.outcome.status), ['loaded', 'loaded']);
    assert.equal(batches.reduce((s, b) => s + b.batch.records.length, 0), 2000);
    const first = generated[0];
    assert.ok(first !== undefined);
    assert.equal(batches[0]?.batch.unitId, `${first.key}@${first.sha256.slice(0, 16)}#0`);
    const again = (await run()).filter((e) => e.type === 'batch').map((e) => (e.type === 'batch' ? e.batch.unitId : ''));
    assert.deepEqual(again, batches.map((b) => b.batch.unitId));
  });

  it('reads the next batch of a file only after the previous one was written (pulling is the backpressure)', async () => {
    const plan = await resolveAvailability(files(), dirSource(dir));
    const written: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const pace = async (batch: RecordBatch): Promise<void> => {
      inFlight++; maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      written.push(batch.unitId); inFlight--;
    };
    const events = await loadArchive({ files: plan.files.slice(0, 1), source: dirSource(dir), batchRows: 200 }, pace);
    assert.equal(maxInFlight, 1);
    assert.equal(written.length, 5);
    assert.equal(events.at(-1)?.type, 'file');
  });

  it('fetches files concurrently, parses big files one at a time and small ones together (byte budget)', async () => {
    const plan = await resolveAvailability(files(), dirSource(dir));
    const run = async (parseBudgetBytes: number | undefined): Promise<{ order: string[]; maxFiles: number; fetchedBeforeFirstDone: number }> => {
      const writing = new Map<string, number>(); // file key → batches being written
      let maxFiles = 0;
      const pace = async (batch: RecordBatch): Promise<void> => {
        const key = batch.unitId.split('@')[0];
        writing.set(key, (writing.get(key) ?? 0) + 1);
        maxFiles = Math.max(maxFiles, [...writing.values()].filter((n) => n > 0).length);
        await new Promise((r) => setTimeout(r, 10));
        writing.set(key, (writing.get(key) ?? 1) - 1);
      };
      const events = await loadArchive({
        files: plan.files, source: dirSource(dir), batchRows: 200, concurrency: 4,
        ...(parseBudgetBytes === undefined ? {} : { parseBudgetBytes }),
      }, pace, { inFlight: 2 });
      const firstDone = events.findIndex((e) => e.type === 'file');
      return {
        order: events.flatMap((e) => (e.type === 'batch' ? [e.file.key] : [])),
        maxFiles,
        fetchedBeforeFirstDone: events.slice(0, firstDone).filter((e) => e.type === 'fetched').length,
      };
    };
    const one = await run(generated[0].size + 1); // room for one of these files at a time
    assert.equal(one.maxFiles, 1);
    // Either file may be fetched first; its batches all come before the other file's.
    assert.equal(one.order.filter((key, i) => i > 0 && key !== one.order[i - 1]).length, 1, `interleaved: ${one.order.join(' ')}`);
    assert.equal(one.fetchedBeforeFirstDone, 2, 'both files were fetched before the first finished loading');
    const two = await run(undefined); // the default budget (32 MiB) holds both small files
    assert.equal(two.maxFiles, 2);
  });

  it('with inFlight, that many batches of a file wait for their write at once, and loaded follows the last write', async () => {
    const plan = await resolveAvailability(files(), dirSource(dir));
    const order: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const pace = async (batch: RecordBatch): Promise<void> => {
      inFlight++; maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      order.push(`written ${batch.unitId.slice(-2)}`); inFlight--;
    };
    const events = await loadArchive({ files: plan.files.slice(0, 1), source: dirSource(dir), batchRows: 100 }, pace, { inFlight: 3 });
    order.push(...events.flatMap((e) => (e.type === 'file' ? [e.outcome.status] : [])));
    assert.equal(maxInFlight, 3);
    assert.equal(order.length, 11);
    assert.equal(order.at(-1), 'loaded');
  });

  it('a write failing among several in flight fails the file once every write it started has settled', async () => {
    const plan = await resolveAvailability(files(), dirSource(dir));
    let settled = 0;
    const pace = async (batch: RecordBatch): Promise<void> => {
      await new Promise((r) => setTimeout(r, batch.unitId.endsWith('#1') ? 1 : 20));
      settled++;
      if (batch.unitId.endsWith('#1')) throw new Error('disk full');
    };
    let settledAtOutcome = -1;
    const all = await loadArchive({ files: plan.files.slice(0, 1), source: dirSource(dir), batchRows: 100 }, pace, {
      inFlight: 4, onEvent: (e) => { if (e.type === 'file') settledAtOutcome = settled; },
    });
    const outcomes = all.flatMap((e) => (e.type === 'file' ? [e.outcome] : []));
    assert.deepEqual(outcomes.map((o) => [o.status, o.reason]), [['failed', 'disk full']]);
    const started = all.filter((e) => e.type === 'batch').length;
    assert.ok(started > 2 && started <= 6, `${started} batches started`);
    assert.equal(settledAtOutcome, started);
  });

  it('turns a sink failure into a failed outcome for that file only', async () => {
    const plan = await resolveAvailability(files(), dirSource(dir));
    const pace = async (batch: RecordBatch): Promise<void> => { if (batch.unitId.includes('2025-07-01')) throw new Error('disk full'); };
    const events = await loadArchive({ files: plan.files, source: dirSource(dir), concurrency: 1 }, pace);
    const outcomes = events.flatMap((e) => (e.type === 'file' ? [e.outcome] : []));
    assert.deepEqual(outcomes.map((o) => [o.file.date, o.status, o.reason]), [['2025-07-01', 'failed', 'disk full'], ['2025-07-02', 'loaded', null]]);
  });

  it('checked first (sinks that do not stage): a line over maxLineBytes fails the file before any of its batches is written', async () => {
    const longDir = await tempDir('long-line');
    const [file] = files();
    assert.ok(file !== undefined);
    const good = Array.from({ length: 5000 }, (_, i) => `${i + 1},100.00000000,0.50000000,50.00000000,${Date.UTC(2025, 6, 1) * 1000 + i},True,True`);
    await writeArchiveFile(longDir, file, { lines: [...good, `5001,${'1'.repeat(5000)}`] });
    for (const encoder of [undefined, validatedEncoders(parquetColumnsEncoding, true, () => undefined)]) {
      const written: string[] = [];
      const events = await loadArchive({
        files: [{ ...file, size: null, lastModifiedMs: null }], source: dirSource(longDir), batchRows: 1000, maxLineBytes: 4096,
        ...(encoder === undefined ? {} : { encoder }),
      }, async (batch) => { written.push(batch.unitId); });
      const outcome = events.flatMap((e) => (e.type === 'file' ? [e.outcome] : []))[0];
      assert.equal(outcome?.status, 'failed');
      assert.match(outcome?.reason ?? '', /line 5001 is longer than 4096 bytes/);
      assert.deepEqual(written, [], encoder === undefined ? 'record batches' : 'encoded batches');
    }
  });
});
