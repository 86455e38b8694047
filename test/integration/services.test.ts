import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clickhouseService, kafkaService, registryService, s3Service } from '../support/services.js';

// Preflight: each real service answers where the environment says it is. A stopped service fails here with its
// name and address (ServiceUnavailableError), before the feature tests that need it.
describe('integration services', () => {
  it('Kafka answers on its broker address', async (t) => {
    const kafka = await kafkaService();
    if (kafka === undefined) return t.skip('Kafka not configured');
    assert.ok(kafka.brokers.length > 0);
  });

  it('the Schema Registry answers its Confluent-compatible API', async (t) => {
    const registry = await registryService();
    if (registry === undefined) return t.skip('Schema Registry not configured');
    const response = await fetch(`${registry.url}/subjects`);
    assert.equal(response.status, 200);
    assert.ok(Array.isArray(await response.json()));
  });

  it('ClickHouse answers a query with its version', async (t) => {
    const clickhouse = await clickhouseService();
    if (clickhouse === undefined) return t.skip('ClickHouse not configured');
    const response = await fetch(`${clickhouse.url}/?query=${encodeURIComponent('SELECT version()')}`, {
      headers: { 'X-ClickHouse-User': clickhouse.username, 'X-ClickHouse-Key': clickhouse.password },
    });
    assert.equal(response.status, 200);
    assert.match((await response.text()).trim(), /^\d+\.\d+/);
  });

  it('the S3 server answers', async (t) => {
    const s3 = await s3Service();
    if (s3 === undefined) return t.skip('S3 not configured');
    const response = await fetch(s3.endpoint);
    assert.ok(response.status < 500, `status ${response.status}`);
  });
});
