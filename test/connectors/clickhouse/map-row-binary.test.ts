import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rowBinaryChunks } from '../../../connectors/clickhouse/map-row-binary.js';
import type { FieldSpec } from '../../../schemas/fields.js';
import { KINDS, KIND_NAMES } from '../../../schemas/records.js';
import { sampleRecords } from '../../support/sample-records.js';

const f = (name: string, type: FieldSpec['type'], nullable = false): FieldSpec => ({ name, type, nullable, doc: '' });
const encode = (record: Record<string, unknown>, fields: FieldSpec[]): Buffer => Buffer.concat([...rowBinaryChunks([record], fields)]);

test('int64 is 8 little-endian two\'s-complement bytes, exact up to 2^53 − 1 and for negatives', () => {
  assert.equal(encode({ n: 1_751_328_000_123_456 }, [f('n', 'long')]).readBigInt64LE(0), 1_751_328_000_123_456n);
  assert.equal(encode({ n: 9_007_199_254_740_991 }, [f('n', 'long')]).readBigInt64LE(0), 9_007_199_254_740_991n);
  assert.equal(encode({ n: -4_294_967_297 }, [f('n', 'long')]).readBigInt64LE(0), -4_294_967_297n);
  assert.equal(encode({ n: -1 }, [f('n', 'long')]).readBigInt64LE(0), -1n);
});

test('doubles, int32 and booleans have their fixed widths', () => {
  const bytes = encode({ d: 0.1, i: -7, b: true }, [f('d', 'double'), f('i', 'int'), f('b', 'boolean')]);
  assert.equal(bytes.length, 8 + 4 + 1);
  assert.equal(bytes.readDoubleLE(0), 0.1);
  assert.equal(bytes.readInt32LE(8), -7);
  assert.equal(bytes[12], 1);
});

test('strings are a LEB128 byte length and UTF-8, including lengths of 128 bytes and more', () => {
  assert.deepEqual(encode({ s: 'é' }, [f('s', 'string')]), Buffer.from([2, 0xc3, 0xa9]));
  assert.deepEqual(encode({ s: '' }, [f('s', 'string')]), Buffer.from([0]));
  const long = 'x'.repeat(42) + '€'.repeat(30); // 42 + 90 bytes = 132 > 127: two-byte length
  const bytes = encode({ s: long }, [f('s', 'string')]);
  assert.deepEqual([...bytes.subarray(0, 2)], [132 & 0x7f | 0x80, 1]);
  assert.equal(bytes.subarray(2).toString('utf8'), long);
  const huge = 'a'.repeat(20_000);
  assert.equal(encode({ s: huge }, [f('s', 'string')]).length, 3 + 20_000);
});

test('nullable values carry a null flag byte; arrays a count then doubles', () => {
  assert.deepEqual(encode({ x: null }, [f('x', 'double', true)]), Buffer.from([1]));
  const present = encode({ x: 2.5 }, [f('x', 'double', true)]);
  assert.equal(present[0], 0);
  assert.equal(present.readDoubleLE(1), 2.5);
  const array = encode({ a: [1.5, 2] }, [f('a', 'doubleArray')]);
  assert.equal(array[0], 2);
  assert.deepEqual([array.readDoubleLE(1), array.readDoubleLE(9)], [1.5, 2]);
  assert.deepEqual(encode({ a: [] }, [f('a', 'doubleArray')]), Buffer.from([0]));
});

test('chunks split rows without splitting a row, and cover every row', () => {
  const rows = Array.from({ length: 5 }, (_, i) => ({ n: i }));
  const chunks = [...rowBinaryChunks(rows, [f('n', 'long')], 2)];
  assert.deepEqual(chunks.map((c) => c.length), [16, 16, 8]);
  assert.deepEqual(Buffer.concat(chunks).length, 40);
  assert.equal(Buffer.concat(chunks).readBigInt64LE(32), 4n);
});

test('a null in a non-nullable column or a mistyped value is refused instead of written as garbage', () => {
  assert.throws(() => encode({ n: null }, [f('n', 'long')]), (e: Error) => e.name === 'SinkWriteError' && e.message.includes('field n'));
  assert.throws(() => encode({ n: '5' }, [f('n', 'long', true)]), (e: Error) => e.name === 'SinkWriteError');
  assert.throws(() => encode({}, [f('s', 'string')]), (e: Error) => e.name === 'SinkWriteError' && e.message.includes('undefined'));
  assert.throws(() => encode({ a: 'x' }, [f('a', 'doubleArray')]), (e: Error) => e.name === 'SinkWriteError');
});

/** The format written field by field with Buffer's own methods: what the compiled writer must equal. */
function reference(records: readonly Record<string, unknown>[], fields: readonly FieldSpec[]): Buffer {
  const parts: Buffer[] = [];
  const varint = (n: number): Buffer => {
    const bytes: number[] = [];
    for (; n >= 0x80; n = Math.floor(n / 128)) bytes.push((n % 128) | 0x80);
    bytes.push(n);
    return Buffer.from(bytes);
  };
  for (const record of records) {
    for (const field of fields) {
      const value = record[field.name];
      if (field.nullable === true) parts.push(Buffer.from([value === null ? 1 : 0]));
      if (value === null) continue;
      const b = Buffer.alloc(8);
      switch (field.type) {
        case 'string': { const text = Buffer.from(value as string, 'utf8'); parts.push(varint(text.length), text); break; }
        case 'long': b.writeBigInt64LE(BigInt(value as number)); parts.push(b); break;
        case 'int': parts.push(b.subarray(0, 4)); b.writeInt32LE(value as number); break;
        case 'double': b.writeDoubleLE(value as number); parts.push(b); break;
        case 'boolean': parts.push(Buffer.from([value === true ? 1 : 0])); break;
        case 'doubleArray': parts.push(varint((value as number[]).length), ...(value as number[]).map((x) => { const d = Buffer.alloc(8); d.writeDoubleLE(x); return d; })); break;
      }
    }
  }
  return Buffer.concat(parts);
}

test('every kind encodes to the bytes of a field-by-field reference, strings repeated across rows and chunks included', () => {
  for (const kind of KIND_NAMES) {
    const records = sampleRecords(kind, 50) as unknown as Record<string, unknown>[];
    // Same string objects row after row (symbol, market…), a non-ASCII one, and a long one.
    const mixed = records.map((r, i) => ({ ...r, ...(typeof r.symbol === 'string' && i % 7 === 3 ? { symbol: `ÉTH€${i}` } : {}), ...(typeof r.ingestId === 'string' && i % 11 === 5 ? { ingestId: 'x'.repeat(200 + i) } : {}) }));
    const fields = KINDS[kind].fields;
    assert.deepEqual(Buffer.concat([...rowBinaryChunks(mixed, fields, 7)]), reference(mixed, fields), kind);
  }
});
