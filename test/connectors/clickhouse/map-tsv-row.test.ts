import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeTsv, formatFloat, formatInteger, mapTsvRow, tsvChunks, tsvField } from '../../../connectors/clickhouse/map-tsv-row.js';
import { KINDS } from '../../../schemas/records.js';
import type { FieldSpec } from '../../../schemas/fields.js';
import { sampleRecord } from '../../support/sample-records.js';

const field = (type: FieldSpec['type'], nullable = false): FieldSpec => ({ name: 'x', type, nullable, doc: '' });

test('strings escape backslash, tab, newline, carriage return and NUL so one row stays one line', () => {
  assert.equal(escapeTsv('a\tb\nc\\d\re\0f'), 'a\\tb\\nc\\\\d\\re\\0f');
  assert.equal(escapeTsv(`quotes ' " stay`), `quotes ' " stay`);
  assert.equal(escapeTsv('é€😀'), 'é€😀');
});

test('nulls are \\N for every type, and an empty string is not null', () => {
  for (const type of ['string', 'long', 'int', 'double', 'boolean', 'doubleArray'] as const) assert.equal(tsvField(null, field(type, true)), '\\N');
  assert.equal(tsvField('', field('string')), '');
});

test('booleans are 1/0 and longs print as exact integers up to 2^53 − 1', () => {
  assert.equal(tsvField(true, field('boolean')), '1');
  assert.equal(tsvField(false, field('boolean')), '0');
  assert.equal(tsvField(9_007_199_254_740_991, field('long')), '9007199254740991');
  assert.equal(tsvField(1_751_328_000_123_456, field('long')), '1751328000123456');
});

test('doubles print in the shortest round-trip form, non-finite as ClickHouse spells them', () => {
  assert.equal(formatFloat(0.1), '0.1');
  assert.equal(formatFloat(1e-8), '1e-8');
  assert.equal(formatFloat(65432.1), '65432.1');
  assert.equal(Number(formatFloat(0.1 + 0.2)), 0.1 + 0.2);
  assert.equal(formatFloat(Number.NaN), 'nan');
  assert.equal(formatFloat(Number.POSITIVE_INFINITY), 'inf');
  assert.equal(formatFloat(Number.NEGATIVE_INFINITY), '-inf');
});

test('arrays print as [a,b] and the empty array as []', () => {
  assert.equal(tsvField([1.5, 2, 1e-8], field('doubleArray')), '[1.5,2,1e-8]');
  assert.equal(tsvField([], field('doubleArray')), '[]');
});

test('a row has one tab-separated field per column in field-table order and ends with a newline', () => {
  const record = sampleRecord('trade', 1, 1);
  const line = mapTsvRow(record, KINDS.trade.fields);
  assert.ok(line.endsWith('\n'));
  const cells = line.slice(0, -1).split('\t');
  assert.equal(cells.length, KINDS.trade.fields.length);
  assert.equal(cells[0], 'binance');
  assert.equal(cells[KINDS.trade.fields.findIndex((f) => f.name === 'qty')], '\\N');
  assert.equal(cells[KINDS.trade.fields.findIndex((f) => f.name === 'isBuyerMaker')], '0');
});

test('a free-text field with tabs and newlines stays inside its cell', () => {
  const record = sampleRecord('deadLetter');
  const line = mapTsvRow(record, KINDS.deadLetter.fields);
  assert.equal(line.split('\n').length, 2);
  assert.equal(line.split('\t').length, KINDS.deadLetter.fields.length);
});

test('chunks cover every row exactly once, in order', () => {
  const records = Array.from({ length: 5 }, (_, i) => sampleRecord('trade', i));
  const chunks = [...tsvChunks(records, KINDS.trade.fields, 2)];
  assert.equal(chunks.length, 3);
  assert.equal(chunks.join(''), records.map((r) => mapTsvRow(r, KINDS.trade.fields)).join(''));
  assert.deepEqual([...tsvChunks([], KINDS.trade.fields)], []);
});

test('integers print exactly like String() on both sides of 2^31 and up to ±(2^53 − 1)', () => {
  const values = [0, 7, -7, 2147483647, 2147483648, -2147483648, -2147483649, 99_999_999, 100_000_000, 100_000_001,
    1_751_328_000_000_000, 1_751_328_000_000_001, 4_503_599_627_370_496, 9_007_199_254_740_991, -9_007_199_254_740_991, 1e20];
  for (const v of values) assert.equal(formatInteger(v), String(v), String(v));
  let x = 123_456_789;
  for (let i = 0; i < 2000; i++) { // a deterministic spread over the whole safe range
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    const v = Math.floor(((x / 2_147_483_648) - 0.5) * 2 * Number.MAX_SAFE_INTEGER);
    assert.equal(formatInteger(v), String(v));
  }
});
