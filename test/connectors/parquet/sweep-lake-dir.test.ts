import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, from, toArray } from 'rxjs';
import { acquireUnitLease, leasePathOf } from '../../../connectors/parquet/lake-lease.js';
import { stagedNameOf, tempNameOf } from '../../../connectors/parquet/lake-hidden-files.js';
import { lakeStoreFor } from '../../../connectors/parquet/lake-store-for.js';
import { startLakeWriter } from '../../../connectors/parquet/lake-writer.js';
import { sweepLakeDir } from '../../../connectors/parquet/sweep-lake-dir.js';
import { toParquetLake } from '../../../connectors/parquet/to-parquet-lake.js';
import type { RecordBatch } from '../../../connectors/sink.js';
import type { AnyRecord } from '../../../schemas/records.js';
import { sampleRecords } from '../../support/sample-records.js';

const DIR = 'exchange=binance/market=spot/type=trades/symbol=BTCUSDT/date=2025-07-01';
const DEAD = 'dead0000dead0000';

async function withLake(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'sweep-'));
  try { await fn(root); } finally { await rm(root, { recursive: true, force: true }); }
}

/** The pid of a process that has exited. */
function exitedPid(): number {
  return Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).toString());
}

/** Plants files in the partition directory; `oldMs` of them two hours old. */
async function plant(root: string, names: readonly string[], old: readonly string[] = []): Promise<void> {
  await mkdir(join(root, DIR), { recursive: true });
  for (const name of [...names, ...old]) await writeFile(join(root, DIR, name), 'x');
  const then = new Date(Date.now() - 2 * 3_600_000);
  for (const name of old) await utimes(join(root, DIR, name), then, then);
}

test('the sweep removes what dead writers left (no heartbeat, a stale one, a vanished process) and keeps a live writer\'s temp and staged files', async () => {
  await withLake(async (root) => {
    const store = lakeStoreFor(root);
    const me = startLakeWriter(store);
    const other = startLakeWriter(store);
    try {
      await Promise.all([me.ready(), other.ready()]);
      const stale = 'aaaa0000aaaa0000';
      const killed = 'bbbb0000bbbb0000';
      const remote = 'cccc0000cccc0000';
      await store.control.put(`_manifest/writers/${stale}.json`, JSON.stringify({ host: 'elsewhere', pid: 1, startedAt: 0, renewedAt: Date.now() - 120_000 }));
      await store.control.put(`_manifest/writers/${killed}.json`, JSON.stringify({ host: hostname(), pid: exitedPid(), startedAt: 0, renewedAt: Date.now() }));
      await store.control.put(`_manifest/writers/${remote}.json`, JSON.stringify({ host: 'elsewhere', pid: 1, startedAt: 0, renewedAt: Date.now() }));
      const part = 'BTCUSDT-trades-2025-07-01.zip_0123456789abcdef_0-0011223344556677.parquet';
      const doomed = [tempNameOf(DEAD, 'abc123'), stagedNameOf(part, DEAD), tempNameOf(stale, '01'), stagedNameOf(part, killed)];
      const kept = [tempNameOf(other.id, 'abc123'), stagedNameOf(part, other.id), stagedNameOf(part, me.id), tempNameOf(remote, '02'), '.0123456789ab.tmp', part, 'notes.txt'];
      await plant(root, [...doomed, ...kept], ['.a1b2c3d4e5f6.tmp', `.${part}.staged`]);
      // Old files of a live writer stay too: liveness, not age, decides for named files.
      const then = new Date(Date.now() - 2 * 3_600_000);
      await utimes(join(root, DIR, tempNameOf(other.id, 'abc123')), then, then);
      assert.equal(await sweepLakeDir(me, DIR), doomed.length + 2);
      assert.deepEqual((await readdir(join(root, DIR))).sort(), [...kept].sort());
    } finally {
      await me.close();
      await other.close();
    }
  });
});

test('the next run writing into a directory sweeps a killed run\'s temp and staged files there, staged or not, and keeps a live writer\'s', async () => {
  const records = sampleRecords('trade', 3).map((r) => ({ ...r, market: 'spot', symbol: 'BTCUSDT', eventTimeUs: 1_751_328_000_000_000 })) as AnyRecord[];
  for (const staged of [true, false]) {
    await withLake(async (root) => {
      const live = startLakeWriter(lakeStoreFor(root));
      try {
        await live.ready();
        const leftovers = [tempNameOf(DEAD, '0a0b0c'), stagedNameOf('x_0123456789abcdef_0-0011223344556677.parquet', DEAD)];
        const lively = [tempNameOf(live.id, '0a0b0c'), stagedNameOf('x_0123456789abcdef_0-0011223344556677.parquet', live.id)];
        await plant(root, [...leftovers, ...lively], ['.0a1b2c3d4e5f.tmp']);
        const batches: RecordBatch[] = staged
          ? [{ kind: 'trade', unitId: 'f@1#0', records, stage: { id: 'f@1' } }, { kind: 'trade', unitId: 'f@1#commit', records: [], stage: { id: 'f@1', end: 'commit' } }]
          : [{ kind: 'trade', unitId: 'f@1#0', records }];
        await lastValueFrom(from(batches).pipe(toParquetLake({ root, encodeInWorker: false }), toArray()));
        const left = (await readdir(join(root, DIR))).sort();
        assert.deepEqual(left.filter((n) => n.startsWith('.')), [...lively].sort(), `staged: ${staged}`);
        assert.equal(left.filter((n) => n.endsWith('.parquet')).length, 1);
      } finally {
        await live.close();
      }
    });
  }
});

test('a unit lease is waited for while its holder lives and taken over once the holder is dead', async () => {
  await withLake(async (root) => {
    const store = lakeStoreFor(root);
    const a = startLakeWriter(store);
    const b = startLakeWriter(store, { pollMs: 1 });
    try {
      const held = await acquireUnitLease(a, 'u@1');
      let released = false;
      const waiting = acquireUnitLease(b, 'u@1').then((lease) => { assert.ok(released, 'b got the lease only after a released it'); return lease; });
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r)); // b polls meanwhile
      released = true;
      await held.release();
      const second = await waiting;
      await assert.rejects(held.check(), /lost its lease/);
      await second.check();
      await second.release();

      // A lease a dead writer left (its process killed before the release): taken at once.
      await store.control.put(leasePathOf('u@2'), JSON.stringify({ writer: DEAD, nonce: 'n1', unit: 'u@2', host: 'elsewhere', pid: 1, acquiredAt: '' }));
      const taken = await acquireUnitLease(b, 'u@2');
      await taken.check();
      await taken.release();
      assert.equal(await store.control.read(leasePathOf('u@2')), undefined);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

test('a lease whose taker was killed mid-takeover (its takeover token left, the lease still naming the dead holder) is taken over, not waited for forever', { timeout: 30_000 }, async (t) => {
  await withLake(async (root) => {
    const store = lakeStoreFor(root);
    const b = startLakeWriter(store, { pollMs: 1 });
    try {
      const lease = leasePathOf('u@3');
      await store.control.put(lease, JSON.stringify({ writer: DEAD, nonce: 'n1', unit: 'u@3', host: 'elsewhere', pid: 1, acquiredAt: '' }));
      // A taker, itself dead now, created the token and was killed before it overwrote the lease.
      await store.control.put(`${lease}.takeover-n1`, JSON.stringify({ writer: 'dddd0000dddd0000', nonce: 'n2', unit: 'u@3', host: 'elsewhere', pid: 1, acquiredAt: '' }));
      const taken = await acquireUnitLease(b, 'u@3', t.signal); // a hang ends with the test's timeout
      await taken.check();
      await taken.release();
      assert.equal(await store.control.read(lease), undefined);
      assert.deepEqual((await readdir(join(root, '_manifest/leases'))).filter((n) => !n.startsWith('.')), [], 'no token left behind');
    } finally {
      await b.close();
    }
  });
});
