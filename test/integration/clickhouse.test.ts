/**
 * ClickHouse is real: every table of schemas/ is created (twice: migrations are idempotent), rows of every
 * kind are inserted through `toClickHouse` and selected back equal, on the server from CLICKHOUSE_URL (the
 * Debian 18.16 server locally) and on the embedded chdb engine (modern ClickHouse) in a temp directory.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { Subject, firstValueFrom, from, lastValueFrom, tap, toArray } from 'rxjs';
import { createClickHouseClient, isEmbeddedClient, type ClickHouseConfig } from '../../connectors/clickhouse/config.js';
import { migrate } from '../../connectors/clickhouse/migrate.js';
import { probeCapabilities, type ClickHouseFeatures } from '../../connectors/clickhouse/probe-capabilities.js';
import { bindParams, quoteString } from '../../connectors/clickhouse/sql-literal.js';
import { toClickHouse } from '../../connectors/clickhouse/to-clickhouse.js';
import type { RecordBatch, WriteAck } from '../../connectors/sink.js';
import { clickhouseTableDdl, quoteIdentifier, tableNameOf } from '../../schemas/clickhouse-ddl.js';
import { KIND_NAMES, KINDS, type AnyRecord, type KindName } from '../../schemas/records.js';
import { clickhouseService } from '../support/services.js';
import { sampleRecords } from '../support/sample-records.js';

const RUN_ID = `${Date.now().toString(36)}_${process.pid}`;

/** Selects a kind's table back (FINAL) and maps rows onto the field table: exact longs, booleans from UInt8. */
async function selectBack(client: ClickHouseClient, database: string, kind: KindName): Promise<Record<string, unknown>[]> {
  const table = `${quoteIdentifier(database)}.${quoteIdentifier(tableNameOf(kind))}`;
  const result = await client.query({
    query: `SELECT * FROM ${table} FINAL ORDER BY ingestId, eventTimeUs`, format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
  });
  const rows = await result.json<Record<string, unknown>>();
  return rows.map((row) => {
    const out: Record<string, unknown> = { kind };
    for (const field of KINDS[kind].fields) {
      const value = row[field.name];
      if (value === null) out[field.name] = null;
      else if (field.type === 'long') out[field.name] = Number(value as string);
      else if (field.type === 'boolean') out[field.name] = value === 1;
      else out[field.name] = value;
    }
    return out;
  });
}

const byIngestId = (a: AnyRecord, b: AnyRecord): number => (a.ingestId < b.ingestId ? -1 : a.ingestId > b.ingestId ? 1 : a.eventTimeUs - b.eventTimeUs);

async function exerciseEngine(t: TestContext, config: ClickHouseConfig, expectModern?: boolean): Promise<void> {
  const client = await createClickHouseClient(config);
  const database = `it_${RUN_ID}`;
  try {
    const features: ClickHouseFeatures = await probeCapabilities(client);
    assert.equal(features.dateTime64, expectModern ?? !features.version.startsWith('18.'), `capabilities of ${features.version}`);

    await t.test('every DDL of schemas/ is created, and running the migration again changes nothing', async () => {
      const tables = await migrate(client, { database, features });
      await migrate(client, { database, features });
      const result = await client.query({ ...bindQuery(features, database), format: 'JSONEachRow' });
      const names = (await result.json<{ name: string }>()).map((r) => r.name);
      assert.deepEqual(names, [...tables].sort());
      assert.equal(names.length, KIND_NAMES.length);
    });

    await t.test('rows of every kind are inserted and selected back equal; a replayed batch converges', async () => {
      const batches = KIND_NAMES.map((kind) => ({ kind, unitId: `it-${kind}`, records: sampleRecords(kind, 4) as AnyRecord[] }));
      const acks = await firstValueFrom(from([...batches, ...batches]).pipe(toClickHouse({ client, database, features }), toArray()));
      assert.equal(acks.length, batches.length * 2);
      for (const batch of batches) {
        const back = await selectBack(client, database, batch.kind);
        assert.deepEqual(back, [...batch.records].sort(byIngestId), batch.kind);
      }
    });

    if (features.insertDeduplicationToken) {
      await t.test('a second insert with the same unit id is dropped by its dedup token, even with other rows', async () => {
        const records = sampleRecords('bookTicker', 4).map((r) => ({ ...r, updateId: r.updateId + 1_000_000, ingestId: `token/${r.ingestId}` }));
        const sink = toClickHouse({ client, database, features });
        const unitId = 'it-token-unit';
        await firstValueFrom(from([{ kind: 'bookTicker' as const, unitId, records: records.slice(0, 3) }]).pipe(sink, toArray()));
        await firstValueFrom(from([{ kind: 'bookTicker' as const, unitId, records: records.slice(3) }]).pipe(sink, toArray()));
        const table = `${quoteIdentifier(database)}.${quoteIdentifier(tableNameOf('bookTicker'))}`;
        const result = await client.query({ query: `SELECT count() AS n FROM ${table} FINAL WHERE ingestId LIKE ${quoteString('token/%')}`, format: 'JSONEachRow' });
        const [{ n }] = await result.json<{ n: string | number }>();
        assert.equal(Number(n), 3, 'the fourth row (a new identity key) came with a used token and was dropped');
        // The token must not stick to later token-less inserts (chdb's connection applies settings as session SETs).
        const tokenless = toClickHouse({ client, database, features: { ...features, insertDeduplicationToken: false } });
        await firstValueFrom(from([{ kind: 'bookTicker' as const, unitId: 'it-token-later', records: records.slice(3) }]).pipe(tokenless, toArray()));
        const [{ n: after }] = await (await client.query({ query: `SELECT count() AS n FROM ${table} FINAL WHERE ingestId LIKE ${quoteString('token/%')}`, format: 'JSONEachRow' })).json<{ n: string | number }>();
        assert.equal(Number(after), 4);
      });
    }

    // Servers take RowBinary by default; check the text path on them too (chdb takes TabSeparated only).
    if (!isEmbeddedClient(client)) {
      await t.test('the TabSeparated insert path lands the same rows as RowBinary', async () => {
        const batches = KIND_NAMES.map((kind) => ({ kind, unitId: `it-tsv-${kind}`, records: sampleRecords(kind, 4) as AnyRecord[] }));
        await firstValueFrom(from(batches).pipe(toClickHouse({ client, database, features, format: 'TabSeparated' }), toArray()));
        for (const batch of batches) assert.deepEqual(await selectBack(client, database, batch.kind), [...batch.records].sort(byIngestId), batch.kind);
      });
    }

    // After the tests that select whole tables back: its rows would be in them.
    await t.test('a staged unit is invisible until its commit moves every row in; an abort leaves nothing; no staging table stays', async () => {
      const rows = (prefix: string, count: number, offset: number): AnyRecord[] => sampleRecords('trade', count)
        .map((r) => ({ ...r, tradeId: r.tradeId + offset, ingestId: `${prefix}/${r.ingestId}` }));
      const committed = rows('staged', 6, 5_000_000);
      const aborted = rows('aborted', 3, 6_000_000);
      const table = `${quoteIdentifier(database)}.${quoteIdentifier(tableNameOf('trade'))}`;
      const count = async (prefix: string): Promise<number> => {
        const result = await client.query({ query: `SELECT count() AS n FROM ${table} WHERE ingestId LIKE ${quoteString(`${prefix}/%`)}`, format: 'JSONEachRow' });
        return Number((await result.json<{ n: string | number }>())[0]?.n);
      };
      const input = new Subject<RecordBatch>();
      const acks: WriteAck[] = [];
      const done = lastValueFrom(input.pipe(toClickHouse({ client, database, features }), tap((ack) => acks.push(ack)), toArray()));
      const acked = async (n: number): Promise<void> => {
        for (let i = 0; acks.length < n; i++) { assert.ok(i < 400, `only ${acks.length} of ${n} acks`); await new Promise((r) => setTimeout(r, 25)); }
      };
      input.next({ kind: 'trade', unitId: 'file-a#0', records: committed.slice(0, 4), stage: { id: 'file-a' } });
      input.next({ kind: 'trade', unitId: 'file-b#0', records: aborted, stage: { id: 'file-b' } });
      input.next({ kind: 'trade', unitId: 'file-a#1', records: committed.slice(4), stage: { id: 'file-a' } });
      await acked(3);
      assert.equal(await count('staged'), 0, 'acknowledged staged rows are not visible before the commit');
      input.next({ kind: 'trade', unitId: 'file-a#commit', records: [], stage: { id: 'file-a', end: 'commit' } });
      input.next({ kind: 'trade', unitId: 'file-b#abort', records: [], stage: { id: 'file-b', end: 'abort' } });
      input.complete();
      await done;
      assert.deepEqual(acks.map((a) => [a.unitId, a.rows]), [['file-a#0', 4], ['file-b#0', 3], ['file-a#1', 2], ['file-a#commit', 0], ['file-b#abort', 0]]);
      assert.equal(await count('staged'), 6);
      assert.equal(await count('aborted'), 0);
      const names = (await (await client.query({ ...bindQuery(features, database), format: 'JSONEachRow' })).json<{ name: string }>()).map((r) => r.name);
      assert.deepEqual(names.filter((name) => name.includes('__stage_')), []);
    });

    await t.test('two writers loading the same file at once: each commit attaches its own complete copy', async () => {
      const records = sampleRecords('trade', 8).map((r) => ({ ...r, tradeId: r.tradeId + 7_000_000, ingestId: `twice/${r.ingestId}` }));
      const table = `${quoteIdentifier(database)}.${quoteIdentifier(tableNameOf('trade'))}`;
      const distinct = async (): Promise<number> => {
        const result = await client.query({ query: `SELECT uniqExact(tradeId) AS n FROM ${table} WHERE ingestId LIKE 'twice/%'`, format: 'JSONEachRow' });
        return Number((await result.json<{ n: string | number }>())[0]?.n);
      };
      const writer = (): { input: Subject<RecordBatch>; acked: (n: number) => Promise<void>; done: Promise<WriteAck[]> } => {
        const input = new Subject<RecordBatch>();
        const acks: WriteAck[] = [];
        const done = lastValueFrom(input.pipe(toClickHouse({ client, database, features }), tap((ack) => acks.push(ack)), toArray()));
        const acked = async (n: number): Promise<void> => {
          for (let i = 0; acks.length < n; i++) { assert.ok(i < 400, `only ${acks.length} of ${n} acks`); await new Promise((r) => setTimeout(r, 25)); }
        };
        return { input, acked, done };
      };
      const stage = { id: 'same-file.zip' };
      const [a, b] = [writer(), writer()];
      a.input.next({ kind: 'trade', unitId: 'same-file.zip#0', records: records.slice(0, 4), stage });
      await a.acked(1);
      b.input.next({ kind: 'trade', unitId: 'same-file.zip#0', records: records.slice(0, 4), stage }); // B starts the same file
      await b.acked(1);
      a.input.next({ kind: 'trade', unitId: 'same-file.zip#1', records: records.slice(4), stage });
      a.input.next({ kind: 'trade', unitId: 'same-file.zip#commit', records: [], stage: { ...stage, end: 'commit' } });
      a.input.complete();
      await a.done;
      assert.equal(await distinct(), 8, 'A acknowledged its commit: every row of the file is visible');
      b.input.next({ kind: 'trade', unitId: 'same-file.zip#1', records: records.slice(4), stage });
      b.input.next({ kind: 'trade', unitId: 'same-file.zip#commit', records: [], stage: { ...stage, end: 'commit' } });
      b.input.complete();
      await b.done;
      const final = await client.query({ query: `SELECT count() AS n FROM ${table} FINAL WHERE ingestId LIKE 'twice/%'`, format: 'JSONEachRow' });
      assert.equal(Number((await final.json<{ n: string | number }>())[0]?.n), 8, 'the two copies collapse on the identity key');
      const names = (await (await client.query({ ...bindQuery(features, database), format: 'JSONEachRow' })).json<{ name: string }>()).map((r) => r.name);
      assert.deepEqual(names.filter((name) => name.includes('__stage_')), []);
    });

    await t.test('a killed run\'s staging table is dropped by the next sink that stages once it is stale, never while fresh', async () => {
      const leftover = `${tableNameOf('trade')}__stage_0123456789abcdef_deadbeef`;
      await client.command({ query: clickhouseTableDdl(KINDS.trade, features, { database, table: leftover })[0] as string });
      const stageOnce = async (staleStagingSeconds: number, id: string): Promise<void> => {
        const records = sampleRecords('trade', 2).map((r) => ({ ...r, ingestId: `sweep/${r.ingestId}` }));
        await lastValueFrom(from<RecordBatch[]>([
          { kind: 'trade', unitId: `${id}#0`, records, stage: { id } },
          { kind: 'trade', unitId: `${id}#commit`, records: [], stage: { id, end: 'commit' } },
        ]).pipe(toClickHouse({ client, database, features, staleStagingSeconds }), toArray()));
      };
      const tables = async (): Promise<string[]> => (await (await client.query({ ...bindQuery(features, database), format: 'JSONEachRow' })).json<{ name: string }>()).map((r) => r.name);
      await stageOnce(3_600, 'sweep-a');
      assert.ok((await tables()).includes(leftover), 'younger than the bound: kept (it may be another writer\'s)');
      await new Promise((r) => setTimeout(r, 1_100));
      await stageOnce(0, 'sweep-b');
      assert.ok(!(await tables()).includes(leftover), 'older than the bound: dropped');
    });

    await t.test('a commit whose staging table vanished fails instead of acknowledging a file it did not attach', async () => {
      const input = new Subject<RecordBatch>();
      const acks: WriteAck[] = [];
      const done = lastValueFrom(input.pipe(toClickHouse({ client, database, features }), tap((ack) => acks.push(ack)), toArray()));
      input.next({ kind: 'trade', unitId: 'vanish#0', records: sampleRecords('trade', 2), stage: { id: 'vanish' } });
      for (let i = 0; acks.length < 1; i++) { assert.ok(i < 400, 'no ack'); await new Promise((r) => setTimeout(r, 25)); }
      const names = (await (await client.query({ ...bindQuery(features, database), format: 'JSONEachRow' })).json<{ name: string }>()).map((r) => r.name);
      const staging = names.filter((name) => name.includes('__stage_'));
      assert.equal(staging.length, 1);
      await client.command({ query: `DROP TABLE ${quoteIdentifier(database)}.${quoteIdentifier(staging[0] as string)}` });
      input.next({ kind: 'trade', unitId: 'vanish#commit', records: [], stage: { id: 'vanish', end: 'commit' } });
      input.complete();
      await assert.rejects(done, /staging table .* vanished before its commit/);
    });

    await t.test('values in SQL are quoted by the one quoting function, hostile strings included', async () => {
      const hostile = "x'); DROP DATABASE `" + database + "`; --\\\n\t€";
      const bound = bindParams('SELECT {s:String} AS s, {n:Int64} AS n', { s: hostile, n: 9_007_199_254_740_991 }, features.queryParams);
      const result = await client.query({ ...bound, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 1 } });
      assert.deepEqual(await result.json(), [{ s: hostile, n: '9007199254740991' }]);
    });
  } finally {
    await client.command({ query: `DROP DATABASE IF EXISTS ${quoteIdentifier(database)}` }).catch(() => undefined);
    await client.close();
  }
}

/** `{db:String}` bound for this engine (params where the server has them, literals otherwise). */
function bindQuery(features: ClickHouseFeatures, database: string): { query: string; query_params?: Record<string, unknown> } {
  return bindParams('SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name', { db: database }, features.queryParams);
}

test('the ClickHouse server (CLICKHOUSE_URL) runs every table, insert and select', { timeout: 180_000 }, async (t) => {
  const service = await clickhouseService();
  if (service === undefined) { t.skip('ClickHouse not configured (CLICKHOUSE_URL)'); return; }
  await exerciseEngine(t, { url: service.url, username: service.username, password: service.password });
});

test('the embedded chdb engine runs every table, insert and select', { timeout: 180_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'chdb-it-'));
  try {
    await exerciseEngine(t, { embeddedPath: dir }, true);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
