/**
 * What a file's load holds — its zip's file handle, its spool file, its parse slot — is given back however the
 * caller stops: a write failing mid-file (the batches abandoned), the run unsubscribed just as a download ended,
 * or a caller that asks for the outcome before pulling the batches to their end.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Subscription } from 'rxjs';
import { unlistedPlan } from '../../../connectors/binance-archive/availability.js';
import { fromBinanceArchive, type ArchiveEvent, type ArchiveFileLoad } from '../../../connectors/binance-archive/from-binance-archive.js';
import { parseArchiveFile } from '../../../connectors/binance-archive/parse-archive-file.js';
import { parseTypeRequests, planArchiveFiles } from '../../../connectors/binance-archive/plan.js';
import { dirSource } from '../../../connectors/binance-archive/source-dir.js';
import type { ArchiveSource } from '../../../connectors/binance-archive/source.js';
import { makeVersion } from '../../../schemas/version.js';
import { generateArchiveMirror, type GeneratedFile } from '../../support/archive-mirror.js';

const REQUEST = { markets: ['spot'], symbols: ['BTCUSDT'], fromDay: '2025-07-01', toDay: '2025-07-01' } as const;
const files = () => unlistedPlan(planArchiveFiles({ ...REQUEST, types: parseTypeRequests(['trades']) })).files;

/** This process's open file descriptors onto zip files (Linux: /proc/self/fd). */
function openZips(): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try { return [readlinkSync(`/proc/self/fd/${fd}`)]; } catch { return []; }
  }).filter((path) => path.endsWith('.zip') || path.includes('.zip.'));
}

const settle = (ms = 150): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The first load event of the files (a local directory source). */
function firstLoad(dir: string): Promise<{ load: ArchiveFileLoad; subscription: Subscription }> {
  return new Promise((resolve, reject) => {
    const subscription = fromBinanceArchive({ files: files(), source: dirSource(dir), batchRows: 1000 }).subscribe({
      next: (event: ArchiveEvent) => { if (event.type === 'load') resolve({ load: event, subscription }); },
      error: reject,
    });
  });
}

describe('a file load gives back what it holds', { skip: !existsSync('/proc/self/fd') && 'needs /proc/self/fd' }, () => {
  let dir = '';
  let generated: GeneratedFile;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'load-resources-'));
    [generated] = await generateArchiveMirror(dir, { ...REQUEST, types: ['trades'], eventsPerDay: 200_000 }) as [GeneratedFile];
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('a parse abandoned after its first chunk closes the zip', async () => {
    const chunks = parseArchiveFile(generated.path, generated.size, generated.file, { batchRows: 1000, version: makeVersion('archive', 0) });
    await chunks.next();
    assert.ok(openZips().length > 0, 'open while parsing');
    await chunks.return(undefined as never);
    await settle();
    assert.deepEqual(openZips(), []);
  });

  it('batches abandoned by their caller (a write failed mid-file) close the zip once the outcome is asked for', async () => {
    const { load, subscription } = await firstLoad(dir);
    for await (const batch of load.batches) { assert.ok(batch.records.length > 0); break; }
    assert.equal(load.outcome(new Error('disk full')).status, 'failed');
    await settle();
    assert.deepEqual(openZips(), []);
    subscription.unsubscribe();
  });

  it('an outcome asked for before the batches ended is not `loaded`; the batches are pulled once', async () => {
    const { load, subscription } = await firstLoad(dir);
    const iterator = load.batches[Symbol.asyncIterator]();
    await iterator.next();
    await assert.rejects(async () => { for await (const _ of load.batches) break; }, /pulled once/);
    const outcome = load.outcome();
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.reason ?? '', /before its batches ended/);
    await iterator.return?.();
    subscription.unsubscribe();
  });

  it('a run unsubscribed just as a download ended leaves no spool file', async () => {
    const bytes = await readFile(generated.path);
    for (const hop of ['microtask', 'tick'] as const) {
      for (let hops = 0; hops < 8; hops++) {
        const spoolDir = await mkdtemp(join(tmpdir(), 'load-spool-'));
        let subscription: Subscription | undefined;
        const stop = (n: number): void => {
          if (n === 0) { subscription?.unsubscribe(); return; }
          if (hop === 'microtask') queueMicrotask(() => stop(n - 1)); else process.nextTick(() => stop(n - 1));
        };
        // A remote source whose body honours the signal, as the HTTP and S3 sources' do; the stop lands just after its last byte.
        const source: ArchiveSource = {
          description: 'memory',
          readText: () => Promise.reject(new Error('not used')),
          list: () => Promise.resolve({ objects: [], prefixes: [] }),
          open: (_key, signal) => Promise.resolve({ size: bytes.length, lastModifiedMs: null, body: (async function* () { signal?.throwIfAborted(); yield bytes; stop(hops); })() }),
        };
        await new Promise<void>((resolve) => {
          subscription = fromBinanceArchive({ files: files(), source, verify: false, spoolDir, quarantineDir: spoolDir }).subscribe({
            next: (event) => { if (event.type === 'load') void (async () => { for await (const _ of event.batches); event.outcome(); })().catch(() => undefined); },
            complete: resolve, error: () => resolve(),
          });
          subscription.add(() => resolve());
        });
        await settle(100);
        assert.deepEqual(await readdir(spoolDir), [], `unsubscribed ${hops} ${hop}s after the body ended`);
        await rm(spoolDir, { recursive: true, force: true });
      }
    }
  });
});
