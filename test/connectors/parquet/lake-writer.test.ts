import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LakeStore } from '../../../connectors/parquet/lake-store.js';
import { startLakeWriter } from '../../../connectors/parquet/lake-writer.js';

/** A store whose control objects live in a map; each put waits for the test to settle it. */
function controlledStore(): { store: LakeStore; objects: Map<string, string>; puts: { settle: (ok: boolean) => void }[] } {
  const objects = new Map<string, string>();
  const puts: { settle: (ok: boolean) => void }[] = [];
  const control = {
    create: async (path: string, text: string) => { if (objects.has(path)) return false; objects.set(path, text); return true; },
    read: async (path: string) => objects.get(path),
    put: (path: string, text: string) => new Promise<void>((resolve, reject) => {
      puts.push({ settle: (ok) => { if (ok) { objects.set(path, text); resolve(); } else reject(new Error('put failed')); } });
    }),
    remove: async (path: string) => { objects.delete(path); },
  };
  return { store: { control } as unknown as LakeStore, objects, puts };
}

test('a heartbeat retried by ready() that lands while the writer closes is removed too (a closed writer never looks alive)', async () => {
  const { store, objects, puts } = controlledStore();
  const writer = startLakeWriter(store, { heartbeatMs: 3_600_000 });
  const failed = writer.ready().catch(() => undefined);
  puts[0].settle(false); // the first beat fails
  await failed;
  const ready = writer.ready().catch(() => undefined); // … and is tried again
  for (let i = 0; i < 5 && puts.length < 2; i++) await new Promise((r) => setImmediate(r));
  assert.equal(puts.length, 2);
  const closed = writer.close();
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  puts[1].settle(true); // the retried beat lands after close began
  await closed;
  await ready;
  assert.deepEqual([...objects.keys()], [], 'no heartbeat of the closed writer is left');
});
