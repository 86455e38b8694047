import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MockClient } from '@confluentinc/schemaregistry';
import { createAvroSerde, valueSubjectOf } from '../../../connectors/kafka/avro-serde.js';
import { topicFor } from '../../../connectors/kafka/topic-for.js';
import { DecodeError } from '../../../schemas/errors.js';
import { KIND_NAMES } from '../../../schemas/records.js';
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
