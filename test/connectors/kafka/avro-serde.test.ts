import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AvroDeserializer, AvroSerializer, MockClient, SerdeType } from '@confluentinc/schemaregistry';
import avro from 'avsc';
import { avroSchemaOf } from '../../../schemas/avro.js';
import { createAvroSerde, valueSubjectOf } from '../../../connectors/kafka/avro-serde.js';
import { topicFor } from '../../../connectors/kafka/topic-for.js';
import { DecodeError } from '../../../schemas/errors.js';
import { KIND_NAMES, KINDS } from '../../../schemas/records.js';
import { sampleRecord } from '../../support/sample-records.js';

test('every kind encodes to the Confluent wire format and decodes to the same record, kind restored', async () => {
  const client = new MockClient();
  const serde = createAvroSerde(client);
  for (const kind of KIND_NAMES) {
    for (const variant of [0, 1]) {
      const record = sampleRecord(kind, variant, variant);
      const topic = topicFor(record);
      const bytes = await serde.encode(topic, record);
      assert.equal(bytes[0], 0, 'magic byte');
      assert.ok(bytes.readInt32BE(1) > 0, 'schema id');
      assert.deepEqual(await serde.decode(topic, bytes), record, `${kind} variant ${variant}`);
    }
  }
});

test('the kind field is not part of the Avro value and the subject is <topic>-value with BACKWARD compatibility', async () => {
  const client = new MockClient();
  const serde = createAvroSerde(client);
  const record = sampleRecord('trade');
  const topic = topicFor(record);
  await serde.encode(topic, record);
  const latest = await client.getLatestSchemaMetadata(valueSubjectOf(topic));
  const fields = (JSON.parse(latest.schema) as { fields: { name: string }[] }).fields.map((f) => f.name);
  assert.ok(!fields.includes('kind'));
  assert.equal(fields[0], 'exchange');
  const config = await client.getConfig(valueSubjectOf(topic));
  assert.equal(config.compatibility ?? config.compatibilityLevel, 'BACKWARD');
});

test('bytes that are not a registered Avro value are a DecodeError carrying the raw input', async () => {
  const serde = createAvroSerde(new MockClient());
  const garbage = Buffer.from('not avro at all');
  await assert.rejects(serde.decode('md.binance.spot.trades', garbage), (error: unknown) =>
    error instanceof DecodeError && error.raw === garbage.toString('base64'));
});

test('the bytes are the Confluent library\'s: its AvroDeserializer reads ours and ours read its AvroSerializer\'s', async () => {
  const client = new MockClient();
  const serde = createAvroSerde(client);
  const strategy = { subjectNameStrategy: (topic: string) => valueSubjectOf(topic) };
  for (const kind of ['trade', 'kline', 'depthUpdate', 'gap'] as const) {
    const record = sampleRecord(kind, 1, 0);
    const topic = topicFor(record);
    const ours = await serde.encode(topic, record);
    const { kind: _kind, ...value } = record;
    const library = new AvroDeserializer(client, SerdeType.VALUE, strategy);
    assert.deepEqual({ ...(await library.deserialize(topic, ours)) }, value, `${kind}: library reads ours`);
    const serializer = new AvroSerializer(client, SerdeType.VALUE, { ...strategy, useLatestVersion: true, autoRegisterSchemas: false });
    const theirs = await serializer.serialize(topic, value);
    assert.deepEqual(theirs, ours, `${kind}: identical bytes`);
    assert.deepEqual(await serde.decode(topic, theirs), record, `${kind}: we read the library's`);
  }
});

test('a value written with an older schema (one nullable field fewer) decodes with that field null', async () => {
  const client = new MockClient();
  const topic = 'md.binance.spot.trades';
  const current = avroSchemaOf(KINDS.trade);
  const older = { ...current, fields: current.fields.filter((f) => f.name !== 'isBestMatch') };
  const olderId = await client.register(valueSubjectOf(topic), { schemaType: 'AVRO', schema: JSON.stringify(older) }, false);
  const { kind: _kind, isBestMatch: _dropped, ...value } = sampleRecord('trade');
  const body = avro.Type.forSchema(older as avro.Schema).toBuffer(value);
  const wire = Buffer.concat([Buffer.from([0]), Buffer.from([0, 0, 0, 0]), body]);
  wire.writeInt32BE(olderId, 1);
  assert.deepEqual(await createAvroSerde(client).decode(topic, wire), { ...sampleRecord('trade'), isBestMatch: null });
});

test('a value whose schema id the registry does not know is a DecodeError', async () => {
  const wire = Buffer.from([0, 0, 0, 0x7f, 0x7f, 2, 4]);
  await assert.rejects(createAvroSerde(new MockClient()).decode('md.binance.spot.trades', wire), DecodeError);
});

test('encodeNow gives the same bytes as encode once the topic is registered, nothing before, across many slabs', async () => {
  const serde = createAvroSerde(new MockClient());
  const records = Array.from({ length: 3000 }, (_, i) => sampleRecord('deadLetter', i, i));
  const topic = topicFor(records[0]);
  assert.equal(serde.encodeNow?.(topic, records[0]), undefined);
  const first = Buffer.from(await serde.encode(topic, records[0]));
  assert.deepEqual(serde.encodeNow?.(topic, records[0]), first);
  // Dead letters carry raw payloads of varying length: thousands of them fill several 64 KiB slabs.
  const values = records.map((record) => serde.encodeNow?.(topic, record) as Buffer);
  for (let i = 0; i < records.length; i += 97) assert.deepEqual(await serde.decode(topic, values[i]), records[i], `record ${i}`);
  const big = { ...records[1], raw: 'x'.repeat(200_000) };
  assert.deepEqual(await serde.decode(topic, serde.encodeNow?.(topic, big) as Buffer), big);
  assert.deepEqual(await serde.decode(topic, values[values.length - 1]), records[records.length - 1], 'earlier views stay intact');
});
