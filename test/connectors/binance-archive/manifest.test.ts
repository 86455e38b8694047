import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openManifest, type ManifestEntry } from '../../../connectors/binance-archive/manifest.js';

const entry = (key: string, sha256 = 'a'.repeat(64)): ManifestEntry => ({ key, size: 1, sha256, rows: 1, status: 'loaded', loadedAt: '2025-07-01T00:00:00.000Z', lastModifiedMs: null });

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'manifest-'));
  try { await fn(dir); } finally { await rm(dir, { recursive: true, force: true }); }
}

test('two runs sharing a manifest (opened, appended and reopened at once) lose none of each other\'s entries', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'm.jsonl');
    const a = await openManifest(path);
    await a.record(entry('seed'));
    const b = await openManifest(path);
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i++) {
      work.push(a.record(entry(`a${i}`)), b.record(entry(`b${i}`)));
      if (i % 8 === 0) work.push(openManifest(path));
    }
    await Promise.all(work);
    const keys = (await openManifest(path)).entries().map((e) => e.key).sort();
    assert.equal(keys.length, 81);
    for (let i = 0; i < 40; i++) assert.ok(keys.includes(`a${i}`) && keys.includes(`b${i}`), `a${i} b${i}`);
  });
});

test('a partial last line (a run killed mid-append) is ignored and the next entry still lands whole', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'm.jsonl');
    await (await openManifest(path)).record(entry('x'));
    await appendFile(path, '{"key":"half');
    const m = await openManifest(path);
    await m.record(entry('y', 'b'.repeat(64)));
    const again = await openManifest(path);
    assert.deepEqual(again.entries().map((e) => e.key).sort(), ['x', 'y']);
    assert.equal(again.get('y')?.sha256, 'b'.repeat(64));
    assert.ok((await readFile(path, 'utf8')).endsWith('\n'));
  });
});
