/** Secured-connection options: from the environment, the config file and flags, validated, and masked when printed. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { backfillCommand } from '../../pipelines/backfill.js';
import { describeConfig, resolveConfig } from '../../pipelines/config.js';
import { clickhouseCaOf, kafkaConfigOf, registryConfigOf } from '../../pipelines/connection-options.js';
import { serveCommand } from '../../pipelines/serve.js';
import { ConfigError } from '../../schemas/errors.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('connection options', () => {
  const dir = mkdtempSync(join(tmpdir(), 'connection-options-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const ca = join(dir, 'ca.pem');
  writeFileSync(ca, PEM);

  it('builds Kafka TLS + SCRAM and registry basic auth from the environment', () => {
    const env = {
      LAKEHOUSE_KAFKA_CA: ca, LAKEHOUSE_KAFKA_SASL_MECHANISM: 'scram-sha-256', LAKEHOUSE_KAFKA_USERNAME: 'svc', LAKEHOUSE_KAFKA_PASSWORD: 'kafka-pw',
      SCHEMA_REGISTRY_USER: 'reg', SCHEMA_REGISTRY_PASSWORD: 'reg-pw', LAKEHOUSE_CLICKHOUSE_CA: ca,
    };
    const { config } = resolveConfig('serve', serveCommand.options, [], env);
    assert.deepEqual(kafkaConfigOf(config, ['b:9093']), { brokers: ['b:9093'], ssl: { ca: [PEM] }, sasl: { mechanism: 'scram-sha-256', username: 'svc', password: 'kafka-pw' } });
    assert.deepEqual(registryConfigOf(config, 'https://r'), { url: 'https://r', basicAuth: { username: 'reg', password: 'reg-pw' } });
    assert.equal(clickhouseCaOf(config), PEM);
    const printed = describeConfig(serveCommand.options, config);
    assert.ok(!printed.includes('kafka-pw') && !printed.includes('reg-pw'), printed);
  });

  it('takes them from the config file and flags too; plain SASL by default, TLS with the system CAs by --kafka-ssl', () => {
    const file = join(dir, 'lakehouse.config.json');
    writeFileSync(file, JSON.stringify({ backfill: { kafkaUsername: 'svc', kafkaPassword: 'file-pw', kafkaSsl: true } }));
    const { config } = resolveConfig('backfill', backfillCommand.options, ['--config', file], {});
    assert.deepEqual(kafkaConfigOf(config, ['b:9093']), { brokers: ['b:9093'], ssl: true, sasl: { mechanism: 'plain', username: 'svc', password: 'file-pw' } });
    const flags = resolveConfig('backfill', backfillCommand.options, ['--kafka-sasl-mechanism', 'scram-sha-512', '--kafka-username', 'u', '--kafka-password', 'p'], {}).config;
    assert.deepEqual(kafkaConfigOf(flags, ['b:9092']).sasl, { mechanism: 'scram-sha-512', username: 'u', password: 'p' });
    assert.deepEqual(kafkaConfigOf(resolveConfig('backfill', backfillCommand.options, [], {}).config, ['b:9092']), { brokers: ['b:9092'] });
  });

  it('rejects half credentials, unknown mechanisms and unreadable CA files without echoing a password', () => {
    const half = resolveConfig('backfill', backfillCommand.options, [], { LAKEHOUSE_KAFKA_PASSWORD: 'only-pw' }).config;
    assert.throws(() => kafkaConfigOf(half, ['b:1']), (e: Error) => e instanceof ConfigError && !e.message.includes('only-pw'));
    const registry = resolveConfig('backfill', backfillCommand.options, [], { SCHEMA_REGISTRY_PASSWORD: 'reg-only' }).config;
    assert.throws(() => registryConfigOf(registry, 'http://r'), (e: Error) => e instanceof ConfigError && !e.message.includes('reg-only'));
    assert.throws(() => resolveConfig('backfill', backfillCommand.options, ['--kafka-sasl-mechanism', 'gssapi'], {}), ConfigError);
    assert.throws(() => resolveConfig('backfill', backfillCommand.options, ['--kafka-ca', join(dir, 'nope.pem')], {}), /--kafka-ca expects an existing file/);
    assert.throws(() => resolveConfig('backfill', backfillCommand.options, ['--clickhouse-ca', dir], {}), /--clickhouse-ca expects an existing file/);
  });
});
