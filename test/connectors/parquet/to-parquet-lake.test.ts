import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Subject, firstValueFrom, from, take, toArray } from 'rxjs';
import { LakeColumnsBuilder } from '../../../connectors/parquet/lake-columns.js';
import { cellsOf, toParquetLake } from '../../../connectors/parquet/to-parquet-lake.js';
import { queryLake } from '../../../connectors/parquet/query-lake.js';
import type { RecordBatch } from '../../../connectors/sink.js';
import { KIND_NAMES, KINDS, type AnyRecord } from '../../../schemas/records.js';
import { sampleRecords } from '../../support/sample-records.js';

async function withLake(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'lake-'));
  try { await fn(root); } finally { await rm(root, { recursive: true, force: true }); }
}

/** Reads files with DuckDB (independent of the writer) and maps rows back onto the field table. */
async function readBack(glob: string, kind: AnyRecord['kind']): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet('${glob}') ORDER BY ingestId`);
    return reader.getRowObjectsJson().map((row) => {
      const out: Record<string, unknown> = { kind };
      for (const field of KINDS[kind].fields) {
        const value = row[field.name];
        out[field.name] = field.type === 'long' && value !== null ? Number(value) : value;
        if (field.type === 'long' && value !== null) assert.equal(typeof value, 'string', 'BIGINT comes back as a decimal string');
      }
      return out;
    });
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const byIngestId = (a: AnyRecord, b: AnyRecord): number => (a.ingestId < b.ingestId ? -1 : a.ingestId > b.ingestId ? 1 : 0);

test('every kind round-trips through the lake exactly: int64, nulls, doubles, strings and lists', async () => {
  await withLake(async (root) => {
    for (const kind of KIND_NAMES) {
      const records = sampleRecords(kind, 4).map((r) => ({ ...r, market: 'um', symbol: 'BTCUSDT', eventTimeUs: 1_751_328_000_123_456 })) as AnyRecord[];
      if (kind === 'kline') for (const r of records) Object.assign(r, { priceKind: 'trade', interval: '1m' });
      const acks = await firstValueFrom(from([{ kind, unitId: `unit-${kind}`, records }]).pipe(toParquetLake({ root }), toArray()));
      assert.equal(acks.length, 1);
      assert.equal(acks[0].rows, 4);
      assert.match(acks[0].target, /date=2025-07-01\/unit-.*\.parquet$/);
      const back = await readBack(acks[0].target, kind);
      assert.deepEqual(back, [...records].sort(byIngestId), kind);
    }
  });
});

test('a batch spanning symbols and days writes one file per cell', async () => {
  await withLake(async (root) => {
    const day = 86_400_000_000;
    const records = sampleRecords('trade', 6).map((r, i) => ({ ...r, symbol: i % 2 === 0 ? 'BTCUSDT' : 'ETHUSDT', market: 'spot' as const, eventTimeUs: 1_751_328_000_000_000 + (i % 3) * day }));
    const [ack] = await firstValueFrom(from([{ kind: 'trade' as const, unitId: 'u#0', records }]).pipe(toParquetLake({ root }), toArray()));
    assert.equal(ack.rows, 6);
    const base = join(root, 'exchange=binance', 'market=spot', 'type=trades');
    assert.deepEqual((await readdir(base)).sort(), ['symbol=BTCUSDT', 'symbol=ETHUSDT']);
    assert.deepEqual((await readdir(join(base, 'symbol=BTCUSDT'))).sort(), ['date=2025-07-01', 'date=2025-07-02', 'date=2025-07-03']);
    const rows = await queryLake({ root, sql: 'SELECT symbol, date::VARCHAR AS date, count(*)::INTEGER AS n FROM trades GROUP BY ALL ORDER BY ALL' });
    assert.equal(rows.length, 6);
    assert.ok(rows.every((r) => r.n === 1));
  });
});

test('replaying a unit replaces its files instead of duplicating rows', async () => {
  await withLake(async (root) => {
    const batch: RecordBatch = { kind: 'trade', unitId: 'same-unit', records: sampleRecords('trade', 3).map((r) => ({ ...r, market: 'spot' as const })) };
    await firstValueFrom(from([batch, batch, batch]).pipe(toParquetLake({ root }), toArray()));
    const rows = await queryLake({ root, sql: 'SELECT count(*)::INTEGER AS n FROM trades' });
    assert.deepEqual(rows, [{ n: 3 }]);
  });
});

test('no temporary or partial files remain visible after writing', async () => {
  await withLake(async (root) => {
    const records = sampleRecords('kline', 2).map((r) => ({ ...r, priceKind: 'trade' as const, market: 'spot' as const, symbol: 'BTCUSDT' }));
    const [ack] = await firstValueFrom(from([{ kind: 'kline' as const, unitId: 'k', records }]).pipe(toParquetLake({ root }), toArray()));
    const dir = join(ack.target, '..');
    const names = await readdir(dir);
    assert.deepEqual(names.filter((n) => !n.endsWith('.parquet')), []);
    assert.ok((await stat(ack.target)).size > 0);
  });
});

test('an empty batch is acknowledged with zero rows and writes nothing', async () => {
  await withLake(async (root) => {
    const acks = await firstValueFrom(from([{ kind: 'trade' as const, unitId: 'empty', records: [] }]).pipe(toParquetLake({ root }), toArray()));
    assert.deepEqual(acks.map((a) => a.rows), [0]);
    assert.deepEqual(await readdir(root), []);
  });
});

test('a write error (root is a file) errors the stream with a SinkWriteError after retries', async () => {
  await withLake(async (root) => {
    const fileRoot = join(root, 'not-a-dir');
    await (await import('node:fs/promises')).writeFile(fileRoot, 'x');
    const source = new Subject<RecordBatch>();
    const result = firstValueFrom(source.pipe(toParquetLake({ root: fileRoot, retry: { maxAttempts: 2, baseDelayMs: 1 } }), toArray()));
    source.next({ kind: 'trade', unitId: 'x', records: sampleRecords('trade', 1) });
    source.complete();
    await assert.rejects(result, (error: Error) => error.name === 'RetriesExhaustedError' && (error.cause as Error).name === 'SinkWriteError');
  });
});

test('taking one acknowledgement from an endless source unsubscribes from the source', async () => {
  await withLake(async (root) => {
    const source = new Subject<RecordBatch>();
    const first = firstValueFrom(source.pipe(toParquetLake({ root }), take(1)));
    source.next({ kind: 'trade', unitId: 'one', records: sampleRecords('trade', 2) });
    assert.equal((await first).rows, 2);
    assert.equal(source.observed, false);
  });
});

test('acknowledgements come in batch order while a later batch finishes first, and the files are those of in-place encoding', async () => {
  const day = 86_400_000_000;
  const spread = sampleRecords('trade', 3000).map((r, i) => ({ ...r, market: 'spot' as const, eventTimeUs: 1_751_328_000_000_000 + (i % 30) * day }));
  const small = sampleRecords('trade', 1).map((r) => ({ ...r, market: 'spot' as const, symbol: 'ETHUSDT' }));
  const batches: RecordBatch[] = [{ kind: 'trade', unitId: 'slow#0', records: spread }, { kind: 'trade', unitId: 'fast#1', records: small }];
  await withLake(async (workerRoot) => withLake(async (inPlaceRoot) => {
    const acks = await firstValueFrom(from(batches).pipe(toParquetLake({ root: workerRoot }), toArray()));
    assert.deepEqual(acks.map((a) => [a.unitId, a.rows]), [['slow#0', 3000], ['fast#1', 1]]);
    const inPlace = await firstValueFrom(from(batches).pipe(toParquetLake({ root: inPlaceRoot, encodeInWorker: false }), toArray()));
    const files = async (root: string): Promise<string[]> => (await readdir(root, { recursive: true })).filter((n) => n.endsWith('.parquet')).sort();
    assert.equal((await files(workerRoot)).length, 31);
    assert.deepEqual(await files(workerRoot), await files(inPlaceRoot));
    for (const name of await files(workerRoot)) assert.deepEqual(await readFile(join(workerRoot, name)), await readFile(join(inPlaceRoot, name)), name);
    assert.deepEqual(inPlace.map((a) => a.unitId), ['slow#0', 'fast#1']);
  }));
});

/** Every file under `root`, relative, sorted. */
async function filesUnder(root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1)).filter((f) => !f.startsWith('_manifest/')).sort();
}

test('a staged unit\'s files stay hidden (no *.parquet glob, dot-named) until its commit; an abort leaves nothing', async () => {
  const day = 86_400_000_000;
  const records = (n: number): AnyRecord[] => sampleRecords('trade', n).map((r, i) => ({ ...r, market: 'spot' as const, eventTimeUs: 1_751_328_000_000_000 + (i % 2) * day }));
  await withLake(async (root) => {
    const source = new Subject<RecordBatch>();
    const acks: string[] = [];
    const done = new Promise<void>((resolve, reject) => source.pipe(toParquetLake({ root })).subscribe({ next: (a) => acks.push(a.unitId), error: reject, complete: resolve }));
    const until = async (n: number): Promise<void> => { while (acks.length < n) await new Promise((r) => setTimeout(r, 5)); };
    source.next({ kind: 'trade', unitId: 'f@1#0', records: records(4), stage: { id: 'f@1' } });
    source.next({ kind: 'trade', unitId: 'f@1#1', records: records(2), stage: { id: 'f@1' } });
    await until(2);
    const staged = await filesUnder(root);
    assert.equal(staged.length, 4, 'two cells per batch');
    assert.ok(staged.every((f) => /\/\.[^/]+\.parquet\.[0-9a-f]{16}\.staged$/.test(f)), staged.join(' '));
    assert.deepEqual(await queryLake({ root, sql: 'SELECT count(*)::INTEGER AS n FROM trades' }).catch(() => [{ n: 0 }]), [{ n: 0 }]);
    source.next({ kind: 'trade', unitId: 'f@1#commit', records: [], stage: { id: 'f@1', end: 'commit' } });
    await until(3);
    const published = await filesUnder(root);
    assert.deepEqual(published, staged.map((f) => f.replace(/\/\.([^/]+)\.[0-9a-f]{16}\.staged$/, '/$1')).sort());
    assert.deepEqual(await queryLake({ root, sql: 'SELECT count(*)::INTEGER AS n FROM trades' }), [{ n: 6 }]);

    source.next({ kind: 'trade', unitId: 'g@2#0', records: records(3), stage: { id: 'g@2' } });
    source.next({ kind: 'trade', unitId: 'g@2#abort', records: [], stage: { id: 'g@2', end: 'abort' } });
    source.complete();
    await done;
    assert.deepEqual(acks, ['f@1#0', 'f@1#1', 'f@1#commit', 'g@2#0', 'g@2#abort']);
    assert.deepEqual(await filesUnder(root), published, 'the aborted unit left nothing, staged or not');
  });
});

test('a batch that comes mapped (early encoding, LakeColumnsBuilder) writes the files its records would', async () => {
  const day = 86_400_000_000;
  const records = sampleRecords('trade', 5000).map((r, i) => ({ ...r, market: 'spot' as const, eventTimeUs: 1_751_328_000_000_000 + Math.floor(i / 1700) * day })) as AnyRecord[];
  const builder = new LakeColumnsBuilder('trade');
  for (let i = 0; i < records.length; i += 999) builder.add(records.slice(i, i + 999));
  assert.equal(builder.rows, 5000);
  const encoded = builder.take();
  assert.equal(builder.rows, 0);
  assert.deepEqual([encoded.rows, encoded.cells.map((c) => c.path)], [5000, [...cellsOf(records).keys()]]);
  assert.ok(encoded.cells.length >= 3, 'several cells');
  await withLake(async (mappedRoot) => withLake(async (recordsRoot) => {
    const [mapped] = await firstValueFrom(from([{ kind: 'trade' as const, unitId: 'u#0', records: [], encoded }]).pipe(toParquetLake({ root: mappedRoot }), toArray()));
    await firstValueFrom(from([{ kind: 'trade' as const, unitId: 'u#0', records }]).pipe(toParquetLake({ root: recordsRoot }), toArray()));
    assert.equal(mapped.rows, 5000);
    const names = await filesUnder(mappedRoot);
    assert.equal(names.length, encoded.cells.length);
    assert.deepEqual(names, await filesUnder(recordsRoot));
    for (const name of names) assert.deepEqual(await readFile(join(mappedRoot, name)), await readFile(join(recordsRoot, name)), name);
  }));
});

test('once the sink completes, its writer heartbeat is gone from the lake (a finished run leaves no writer behind)', async () => {
  await withLake(async (root) => {
    const records = sampleRecords('kline', 2).map((r) => ({ ...r, priceKind: 'trade' as const, market: 'spot' as const, symbol: 'BTCUSDT' }));
    await firstValueFrom(from([{ kind: 'kline' as const, unitId: 'k', records }]).pipe(toParquetLake({ root, encodeInWorker: false }), toArray()));
    assert.deepEqual(await readdir(join(root, '_manifest', 'writers')), []);
  });
});
