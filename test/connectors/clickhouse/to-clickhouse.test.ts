import { test } from 'node:test';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { ClickHouseError, type ClickHouseClient } from '@clickhouse/client';
import { Subject, firstValueFrom, from, take, toArray } from 'rxjs';
import { rowBinaryChunks } from '../../../connectors/clickhouse/map-row-binary.js';
import type { RowBinaryRows } from '../../../connectors/clickhouse/row-binary-rows.js';
import { featuresFromProbe } from '../../../connectors/clickhouse/probe-capabilities.js';
import { toClickHouse } from '../../../connectors/clickhouse/to-clickhouse.js';
import { recordsOf, rowsOf, type RecordBatch } from '../../../connectors/sink.js';
import { clickhouseTableDdl } from '../../../schemas/clickhouse-ddl.js';
import { KINDS } from '../../../schemas/records.js';
import { sampleRecords } from '../../support/sample-records.js';

interface Call { query: string; body: Buffer; settings: Record<string, unknown> }

/** A stand-in for a server client: records each RowBinary insert, failing the first `failures` calls. */
function fakeClient(failures: Error[] = []): { client: ClickHouseClient; calls: Call[]; closed: () => boolean } {
  const calls: Call[] = [];
  let closed = false;
  const client = {
    async exec(params: { query: string; values: Readable; clickhouse_settings?: Record<string, unknown> }) {
      const chunks: Buffer[] = [];
      for await (const chunk of params.values) chunks.push(chunk as Buffer);
      const failure = failures.shift();
      if (failure !== undefined) throw failure;
      calls.push({ query: params.query, body: Buffer.concat(chunks), settings: params.clickhouse_settings ?? {} });
      return { stream: Readable.from([]) };
    },
    async close() { closed = true; },
  } as unknown as ClickHouseClient;
  return { client, calls, closed: () => closed };
}

const legacy = featuresFromProbe({ version: '18.16.1', settings: new Set(), mergeTreeSettings: new Set(), queryParams: false });
const modern = featuresFromProbe({ version: '26.7', settings: new Set(['insert_deduplication_token']), mergeTreeSettings: new Set(), queryParams: true });
const batch: RecordBatch = { kind: 'trade', unitId: 'file.zip#0', records: sampleRecords('trade', 3) };

test('a batch becomes one RowBinary insert into its kind\'s table with every column, acknowledged once', async () => {
  const { client, calls, closed } = fakeClient();
  const acks = await firstValueFrom(from([batch]).pipe(toClickHouse({ client, database: 'db', features: legacy }), toArray()));
  assert.deepEqual(acks, [{ sink: 'clickhouse', unitId: 'file.zip#0', kind: 'trade', rows: 3, target: '`db`.`trades`' }]);
  assert.equal(calls.length, 1);
  assert.match(calls[0].query, /^INSERT INTO `db`\.`trades` \(`exchange`, `market`, .*`isBestMatch`\) FORMAT RowBinary$/);
  const records = batch.records as unknown as Record<string, unknown>[];
  assert.deepEqual(calls[0].body, Buffer.concat([...rowBinaryChunks(records, KINDS.trade.fields)]));
  assert.deepEqual(calls[0].settings, {}, 'no dedup token on a server without the setting');
  assert.equal(closed(), false, 'a client passed in stays open');
});

test('servers with insert_deduplication_token get the unit id as the token', async () => {
  const { client, calls } = fakeClient();
  await firstValueFrom(from([batch]).pipe(toClickHouse({ client, features: modern }), toArray()));
  assert.deepEqual(calls[0].settings, { insert_deduplicate: 1, insert_deduplication_token: 'file.zip#0' });
});

test('a transport failure is retried and the batch is inserted once', async () => {
  const { client, calls } = fakeClient([new Error('socket hang up')]);
  const acks = await firstValueFrom(from([batch]).pipe(toClickHouse({ client, features: legacy, retry: { baseDelayMs: 1 } }), toArray()));
  assert.equal(acks.length, 1);
  assert.equal(calls.length, 1);
});

test('data the server rejects is not retried and errors the stream with a SinkWriteError naming the table', async () => {
  const rejected = new ClickHouseError({ message: 'Cannot parse input', code: '27', type: 'CANNOT_PARSE_INPUT_ASSERTION_FAILED' });
  const { client, calls } = fakeClient([rejected, rejected]);
  await assert.rejects(
    firstValueFrom(from([batch]).pipe(toClickHouse({ client, features: legacy, retry: { baseDelayMs: 1 } }), toArray())),
    (error: Error) => error.name === 'SinkWriteError' && error.message.includes('`lakehouse`.`trades`') && error.cause === rejected,
  );
  assert.equal(calls.length, 0);
});

test('an empty batch is acknowledged without an insert', async () => {
  const { client, calls } = fakeClient();
  const acks = await firstValueFrom(from([{ ...batch, records: [] }]).pipe(toClickHouse({ client, features: legacy }), toArray()));
  assert.deepEqual(acks.map((a) => a.rows), [0]);
  assert.equal(calls.length, 0);
});

test('taking one acknowledgement from an endless source unsubscribes from the source', async () => {
  const { client } = fakeClient();
  const source = new Subject<RecordBatch>();
  const first = firstValueFrom(source.pipe(toClickHouse({ client, features: legacy }), take(1)));
  source.next(batch);
  assert.equal((await first).rows, 3);
  assert.equal(source.observed, false);
});

test('a record that cannot be encoded fails the batch before anything is sent, without retries', async () => {
  const { client, calls } = fakeClient();
  const broken = { ...batch, records: [{ ...batch.records[0], tradeId: null }] } as unknown as RecordBatch;
  await assert.rejects(
    firstValueFrom(from([broken]).pipe(toClickHouse({ client, features: legacy, retry: { baseDelayMs: 1 } }), toArray())),
    (error: Error) => error.name === 'SinkWriteError' && error.message.includes('tradeId'),
  );
  assert.equal(calls.length, 0);
});

test('waiting batches of one kind go into one insert (up to maxInsertRows), acknowledged one by one in order', async () => {
  const { client, calls } = fakeClient();
  const trades = (n: number, at: number): RecordBatch => ({ kind: 'trade', unitId: `t#${at}`, records: sampleRecords('trade', n + at).slice(at) });
  const klines: RecordBatch = { kind: 'kline', unitId: 'k#0', records: sampleRecords('kline', 2) };
  const input = [trades(3, 0), trades(4, 3), klines, trades(2, 7), trades(5, 9), trades(1, 14)];
  const acks = await firstValueFrom(from(input).pipe(toClickHouse({ client, database: 'db', features: modern, maxInsertRows: 7 }), toArray()));
  assert.deepEqual(acks.map((a) => [a.unitId, a.rows]), input.map((b) => [b.unitId, b.records.length]));
  // [3+4] trades, [2] klines (another kind ends the group), [2+5] trades, [1] (a 9th row would pass 7).
  assert.deepEqual(calls.map((c) => c.query.split(' ')[2]), ['`db`.`trades`', '`db`.`klines`', '`db`.`trades`', '`db`.`trades`']);
  const rows = (batches: RecordBatch[]): Buffer => Buffer.concat([...rowBinaryChunks(batches.flatMap((b) => b.records) as unknown as Record<string, unknown>[], KINDS[batches[0].kind].fields)]);
  assert.deepEqual(calls.map((c) => c.body), [rows(input.slice(0, 2)), rows([klines]), rows(input.slice(3, 5)), rows(input.slice(5))]);
  // A combined insert's dedup token is a hash of its unit ids; a lone batch keeps its own.
  assert.match(String(calls[0].settings.insert_deduplication_token), /^sha256:[0-9a-f]{64}$/);
  assert.equal(calls[1].settings.insert_deduplication_token, 'k#0');
  assert.notEqual(calls[0].settings.insert_deduplication_token, calls[2].settings.insert_deduplication_token);
});

test('batches that arrive while an insert runs are combined into the next one', async () => {
  const { client, calls } = fakeClient();
  const input = new Subject<RecordBatch>();
  const acks = firstValueFrom(input.pipe(toClickHouse({ client, features: legacy }), toArray()));
  input.next({ kind: 'trade', unitId: 'a', records: sampleRecords('trade', 2) });
  await new Promise((resolve) => setImmediate(resolve)); // the first insert is running
  for (const unitId of ['b', 'c', 'd']) input.next({ kind: 'trade', unitId, records: sampleRecords('trade', 3) });
  input.complete();
  assert.deepEqual((await acks).map((a) => a.unitId), ['a', 'b', 'c', 'd']);
  assert.equal(calls.length, 2);
});

test('a batch is encoded when it arrives: records changed by their producer afterwards do not change the insert', async () => {
  const { client, calls } = fakeClient();
  const input = new Subject<RecordBatch>();
  const acks = firstValueFrom(input.pipe(toClickHouse({ client, features: legacy }), toArray()));
  input.next({ kind: 'trade', unitId: 'a', records: sampleRecords('trade', 2) });
  await new Promise((resolve) => setImmediate(resolve)); // the first insert is running; 'b' will wait
  const waiting = sampleRecords('trade', 3);
  const expected = Buffer.concat([...rowBinaryChunks(waiting as unknown as Record<string, unknown>[], KINDS.trade.fields)]);
  input.next({ kind: 'trade', unitId: 'b', records: waiting });
  (waiting[0] as { price: number }).price = 1e9; // a producer reusing its scratch records
  input.complete();
  await acks;
  assert.deepEqual(calls[1].body, expected);
});

test('a batch encoded early is inserted as its bytes, combined with a batch of records behind it', async () => {
  const { client, calls } = fakeClient();
  const records = batch.records as unknown as Record<string, unknown>[];
  const chunks = [...rowBinaryChunks(records, KINDS.trade.fields, 2)];
  const rowBinary: RowBinaryRows = { format: 'RowBinary', rows: 3, bytes: Buffer.concat(chunks).length, chunks };
  const encoded: RecordBatch = { kind: 'trade', unitId: 'file.zip#1', records: [], encoded: rowBinary };
  const acks = await firstValueFrom(from([encoded, batch]).pipe(toClickHouse({ client, database: 'db', features: legacy }), toArray()));
  assert.deepEqual(acks.map((a) => [a.unitId, a.rows]), [['file.zip#1', 3], ['file.zip#0', 3]]);
  assert.equal(calls.length, 1);
  assert.deepEqual(calls[0].body, Buffer.concat([...chunks, ...rowBinaryChunks(records, KINDS.trade.fields)]));
});

test('a batch encoded as RowBinary fails on a target that takes TabSeparated, and sinks of records refuse it', async () => {
  const { client } = fakeClient();
  const rowBinary: RowBinaryRows = { format: 'RowBinary', rows: 1, bytes: 1, chunks: [Buffer.from([1])] };
  const encoded: RecordBatch = { kind: 'trade', unitId: 'file.zip#1', records: [], encoded: rowBinary };
  await assert.rejects(firstValueFrom(from([encoded]).pipe(toClickHouse({ client, features: legacy, format: 'TabSeparated' }), toArray())), /came encoded as RowBinary, but this ClickHouse target takes TabSeparated/);
  assert.throws(() => recordsOf(encoded, 'parquet'), /the parquet sink cannot write batch file\.zip#1: its rows are already encoded as RowBinary/);
  assert.equal(rowsOf(encoded), 1);
  assert.equal(rowsOf(batch), 3);
});

test('sinks that do not stage refuse a staged batch instead of making its rows visible at once', () => {
  const staged: RecordBatch = { ...batch, stage: { id: 'file.zip@abc' } };
  assert.throws(() => recordsOf(staged, 'kafka'), /the kafka sink cannot write batch file\.zip#0: it belongs to staged unit file\.zip@abc/);
  assert.equal(recordsOf(batch, 'kafka'), batch.records);
});

test('staged batches of one file combine into one insert into its staging table, never with other units', async () => {
  const { client, calls } = fakeClient();
  const commands: string[] = [];
  Object.assign(client, { command: async ({ query }: { query: string }) => { commands.push(query); } });
  const stage = { id: 'file.zip@abc' };
  const input = new Subject<RecordBatch>();
  const done = firstValueFrom(input.pipe(toClickHouse({ client, database: 'db', features: legacy }), toArray()));
  input.next({ ...batch, unitId: 'file.zip@abc#0', stage });
  input.next({ ...batch, unitId: 'file.zip@abc#1', stage });
  input.next({ ...batch, unitId: 'other.zip#0' });
  input.next({ ...batch, unitId: 'file.zip@abc#abort', records: [], stage: { ...stage, end: 'abort' } });
  input.complete();
  const acks = await done;
  assert.deepEqual(acks.map((a) => [a.unitId, a.rows]), [['file.zip@abc#0', 3], ['file.zip@abc#1', 3], ['other.zip#0', 3], ['file.zip@abc#abort', 0]]);
  const prefix = 'trades__stage_' + createHash('sha256').update(stage.id).digest('hex').slice(0, 16);
  const staging = calls[0].query.split(' ')[2];
  assert.match(staging, new RegExp(`^\`db\`\\.\`${prefix}_[0-9a-f]{8}\`$`), 'the stage\'s staging table, named for this writer');
  assert.deepEqual(calls.map((c) => c.query.split(' ')[2]), [staging, '`db`.`trades`']);
  assert.equal(calls[0].body.length, 2 * calls[1].body.length, 'both staged batches in the first insert');
  assert.deepEqual(commands, [
    clickhouseTableDdl(KINDS.trade, legacy, { database: 'db', table: staging.slice(6, -1) })[0],
    `DROP TABLE IF EXISTS ${staging}`,
  ], 'created with the kind\'s own DDL (never dropping a table of the same name first), dropped after the abort');
});

test('an encoded batch leaving out constant columns goes into a staging table that defaults them; unstaged, it is refused', async () => {
  const { client, calls } = fakeClient();
  const commands: string[] = [];
  Object.assign(client, { command: async ({ query }: { query: string }) => { commands.push(query); } });
  const constants = { ingestId: "data/it's.zip", symbol: 'BTCUSDT' };
  const encoded: RowBinaryRows = { format: 'RowBinary', rows: 1, bytes: 1, chunks: [Buffer.from([7])], constants };
  const staged: RecordBatch = { kind: 'trade', unitId: 'f#0', records: [], encoded, stage: { id: 'f' } };
  await firstValueFrom(from([staged]).pipe(toClickHouse({ client, database: 'db', features: legacy }), toArray()));
  assert.equal(calls.length, 1);
  assert.doesNotMatch(calls[0].query, /`ingestId`|`symbol`/, 'the constants are not among the insert columns');
  assert.match(calls[0].query, /\(`exchange`, `market`, `eventTimeUs`, /);
  assert.match(commands[0] ?? '', /`symbol` String DEFAULT 'BTCUSDT',/);
  assert.match(commands[0] ?? '', /`ingestId` String DEFAULT 'data\/it\\'s\.zip',/);
  const unstaged: RecordBatch = { kind: 'trade', unitId: 'g#0', records: [], encoded };
  await assert.rejects(firstValueFrom(from([unstaged]).pipe(toClickHouse({ client, features: legacy }), toArray())), /batch g#0 leaves out columns as constants \(ingestId, symbol\); only a staged batch may/);
});
