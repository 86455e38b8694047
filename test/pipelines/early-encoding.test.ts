import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rowBinaryChunks } from '../../connectors/clickhouse/map-row-binary.js';
import { validateRecords } from '../../operators/validate.js';
import { rowBinaryEncoding } from '../../connectors/clickhouse/row-binary-encoding.js';
import { validatedEncoders, type OnRejected } from '../../pipelines/early-encoding.js';
import { KINDS, type TradeRecord } from '../../schemas/records.js';
import { sampleRecords } from '../support/sample-records.js';

/** The backfill's early RowBinary encoders: the ClickHouse sink's encoding behind the validation. */
const rowBinaryEncoders = (validate: boolean, onRejected: OnRejected) => validatedEncoders(rowBinaryEncoding, validate, onRejected);

/** Valid spot trades with increasing ids (the sample records are edge cases, some of them invalid on purpose). */
function trades(count: number): TradeRecord[] {
  const base = sampleRecords('trade', 1)[0] as TradeRecord;
  return Array.from({ length: count }, (_, i) => ({
    ...base, symbol: i % 3 === 0 ? 'ETHUSDT' : 'BTCUSDT', tradeId: 1000 + i, eventTimeUs: base.eventTimeUs + i, price: 100 + i / 8,
    qty: 0.5, quoteQty: 50, contracts: null, baseQty: null,
  }));
}

test('early RowBinary encoding writes the bytes the sink would, in runs, and rejects invalid records, counted per file', () => {
  const records = trades(20_000);
  let counted = 0;
  const encoder = rowBinaryEncoders(true, (rows, key) => { assert.equal(key, 'file.zip'); counted += rows; })('trade', null, 'file.zip');
  assert.ok(encoder !== null);
  for (let i = 0; i < records.length; i += 4096) assert.deepEqual(encoder.add(records.slice(i, i + 4096)), []);
  assert.equal(encoder.rows, 20_000);
  const encoded = encoder.take();
  assert.equal(encoded.rows, 20_000);
  assert.equal(encoder.rows, 0);
  assert.ok(encoded.chunks.length > 1, 'cut in chunks');
  assert.deepEqual(Buffer.concat(encoded.chunks), Buffer.concat([...rowBinaryChunks(records, KINDS.trade.fields)]));
  assert.equal(counted, 0);

  // A record with a bad value is rejected, counted, not encoded; an id that goes back is not the validator's
  // business (order is not an error; the parser keeps each id of a file once).
  const back: TradeRecord = { ...records[0] as TradeRecord };
  const bad = { ...records[1] as TradeRecord, price: Number.NaN };
  const rejected = encoder.add([back, bad]);
  assert.deepEqual(rejected.map((r) => r.kind), ['deadLetter']);
  assert.deepEqual(rejected, validateRecords([bad]));
  assert.equal(counted, 1);
  assert.equal(encoder.take().rows, 1);
});

test('without validation every record is encoded, and kinds that are not data have no early encoder', () => {
  const encoder = rowBinaryEncoders(false, () => assert.fail('nothing validated'))('trade', null);
  const bad = { ...trades(1)[0] as TradeRecord, qty: null };
  assert.deepEqual(encoder?.add([bad]), []);
  assert.equal(encoder?.take().rows, 1);
  assert.equal(rowBinaryEncoders(true, () => undefined)('deadLetter', null), null);
});

test('a staged file\'s constant fields are left out of the rows and named; a record that differs fails loudly', () => {
  const records = trades(5000).map((r) => ({ ...r, symbol: 'BTCUSDT' }));
  const constants = { exchange: r0(records).exchange, market: r0(records).market, symbol: 'BTCUSDT', source: r0(records).source, ingestId: r0(records).ingestId };
  const encoder = rowBinaryEncoders(true, () => undefined)('trade', constants);
  assert.ok(encoder !== null);
  assert.deepEqual(encoder.add(records), []);
  const encoded = encoder.take();
  assert.deepEqual(encoded.constants, constants);
  const rest = KINDS.trade.fields.filter((f) => !(f.name in constants));
  assert.deepEqual(Buffer.concat(encoded.chunks), Buffer.concat([...rowBinaryChunks(records, rest)]), 'the other columns, in field-table order');
  assert.ok(Buffer.concat(encoded.chunks).length < 0.6 * Buffer.concat([...rowBinaryChunks(records, KINDS.trade.fields)]).length);
  const other = { ...trades(5001)[5000] as TradeRecord, symbol: 'BTCUSDT', ingestId: 'another/file.zip' };
  assert.throws(() => encoder.add([other]), /field ingestId is sent as the constant ".*", but a record has "another\/file\.zip"/);
});

const r0 = (records: readonly TradeRecord[]): TradeRecord => records[0] as TradeRecord;
