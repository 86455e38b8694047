import { test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import { avroFastReader } from '../../../connectors/kafka/avro-fast-reader.js';
import { avroSchemaOf } from '../../../schemas/avro.js';
import { KIND_NAMES, KINDS, type AnyRecord, type KindName } from '../../../schemas/records.js';
import { sampleRecord } from '../../support/sample-records.js';

function typeOf(kind: KindName): avro.Type {
  return avro.Type.forSchema(avroSchemaOf(KINDS[kind]) as avro.Schema);
}

/** What avsc reads (the serde's slow path), or the error it throws. */
function avscRead(type: avro.Type, kind: KindName, body: Buffer): AnyRecord | Error {
  try {
    return { kind, ...(type.fromBuffer(body) as object) } as AnyRecord;
  } catch (error) {
    return error as Error;
  }
}

test('the compiled reader returns avsc\'s record for every kind, nulls, arrays, non-ASCII and long values', () => {
  for (const kind of KIND_NAMES) {
    const type = typeOf(kind);
    const read = avroFastReader(kind, JSON.stringify(avroSchemaOf(KINDS[kind])));
    assert.ok(read !== undefined, kind);
    for (let i = 0; i < 6; i++) {
      const record = sampleRecord(kind, i, i);
      const body = type.toBuffer(record);
      const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, 1]), body, Buffer.from([9, 9])]);
      const fast: AnyRecord | undefined = read(framed, 5, 5 + body.length);
      assert.deepEqual(fast, avscRead(type, kind, body), `${kind} #${i}`);
      assert.deepEqual(Object.keys(fast as object), ['kind', ...KINDS[kind].fields.map((f) => f.name)], `${kind} #${i}: field order`);
      assert.deepEqual(read(framed, 5, 5 + body.length), fast, `${kind} #${i}: again, through the string cache`);
    }
  }
});

test('the compiled reader leaves to avsc what it does not read exactly: truncated, trailing, odd booleans, unions, huge longs', () => {
  const type = typeOf('trade');
  const read = avroFastReader('trade', JSON.stringify(avroSchemaOf(KINDS.trade))) as NonNullable<ReturnType<typeof avroFastReader>>;
  const body = type.toBuffer(sampleRecord('trade', 0, 0));
  assert.equal(read(body, 0, body.length - 1), undefined, 'truncated');
  assert.equal(read(Buffer.concat([body, Buffer.from([0])]), 0, body.length + 1), undefined, 'trailing byte');
  let checked = 0;
  // Every single-byte corruption: the fast reader either agrees with avsc or leaves the value to it.
  for (let at = 0; at < body.length; at++) {
    for (const byte of [0x00, 0x02, 0x03, 0x7f, 0x80, 0xff]) {
      const bad = Buffer.from(body);
      bad[at] = byte;
      const fast = read(bad, 0, bad.length);
      if (fast === undefined) continue;
      assert.deepEqual(fast, avscRead(type, 'trade', bad), `byte ${at} = ${byte}`);
      checked++;
    }
  }
  assert.ok(checked > 0);
  const huge = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]); // a 9-byte varint
  assert.equal(avroFastReader('fundingRate', JSON.stringify(avroSchemaOf(KINDS.fundingRate)))?.(huge, 0, huge.length), undefined);
});

test('a writer schema other than the current one gets no compiled reader (avsc resolves it)', () => {
  const older = avroSchemaOf(KINDS.trade);
  older.fields = older.fields.slice(0, -1);
  assert.equal(avroFastReader('trade', JSON.stringify(older)), undefined);
  assert.equal(avroFastReader('trade', 'not json'), undefined);
  assert.notEqual(avroFastReader('trade', JSON.stringify(avroSchemaOf(KINDS.trade))), undefined);
});

test('given a lineage, the compiled reader returns avsc\'s record with that ingestId and still refuses what avsc must judge', () => {
  for (const kind of KIND_NAMES) {
    const type = typeOf(kind);
    const read = avroFastReader(kind, JSON.stringify(avroSchemaOf(KINDS[kind]))) as NonNullable<ReturnType<typeof avroFastReader>>;
    const body = type.toBuffer(sampleRecord(kind, 1, 1));
    const expected = { ...(avscRead(type, kind, body) as AnyRecord), ingestId: 'md.topic/3/42' };
    const fast = read(body, 0, body.length, 'md.topic/3/42');
    assert.deepEqual(fast, expected, kind);
    assert.deepEqual(Object.keys(fast as object), ['kind', ...KINDS[kind].fields.map((f) => f.name)], `${kind}: field order`);
    assert.equal(read(body, 0, body.length - 1, 'md.topic/3/42'), undefined, `${kind}: truncated`);
  }
  // A producer lineage whose length runs past the value: refused as without a lineage, not skipped blindly.
  const type = typeOf('trade');
  const read = avroFastReader('trade', JSON.stringify(avroSchemaOf(KINDS.trade))) as NonNullable<ReturnType<typeof avroFastReader>>;
  const record = sampleRecord('trade', 0, 0);
  const body = type.toBuffer(record);
  const lineage = Buffer.from(record.ingestId);
  const start = body.indexOf(lineage) - 1; // the zigzag length byte before the lineage's bytes
  assert.ok(start > 0 && body[start] === lineage.length * 2);
  const bad = Buffer.from(body);
  bad[start] = 0x7e; // 63 bytes: past the end
  assert.equal(read(bad, 0, bad.length, 'x/0/1'), undefined);
  assert.equal(read(bad, 0, bad.length), undefined);
});
