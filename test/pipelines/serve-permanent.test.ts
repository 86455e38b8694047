import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPermanent } from '../../pipelines/serve.js';
import { ConfigError, ConnectorError, RetriesExhaustedError, SinkWriteError } from '../../schemas/errors.js';

/** kafkajs marks its errors with `retriable` too: a refused SASL login is not. */
class FakeKafkaAuthError extends Error { readonly retriable = false; }

/** kafkajs' KafkaJSConnectionError and KafkaJSNumberOfRetriesExceeded (retriable: false, the last error as its cause). */
class FakeKafkaConnectionError extends Error { readonly retriable = true; }
class FakeKafkaRetriesExceeded extends Error {
  readonly retriable = false;
  constructor(cause: Error) { super(cause.message, { cause }); this.name = 'KafkaJSNumberOfRetriesExceeded'; }
}

test('serve restarts its session after what may pass and gives up on what cannot', () => {
  assert.equal(isPermanent(new ConfigError('bad option')), true);
  assert.equal(isPermanent(new FakeKafkaAuthError('SASL authentication failed')), true);
  assert.equal(isPermanent(new ConnectorError('wrapped', {}, { retriable: false, cause: new Error('x') })), true);
  assert.equal(isPermanent(new SinkWriteError('ClickHouse unreachable')), false, 'a sink that may come back');
  const exhausted = new RetriesExhaustedError(5, new SinkWriteError('ECONNREFUSED'));
  assert.equal(isPermanent(exhausted), false, 'retries of a retriable write ran out: another session may succeed');
  const refused = new RetriesExhaustedError(5, new SinkWriteError('NoSuchBucket', {}, { retriable: false }));
  assert.equal(isPermanent(refused), true);
  assert.equal(isPermanent(new Error('no flag anywhere')), false);
});

test('a Kafka broker away longer than kafkajs retries is worth another session (a broker restart)', () => {
  const brokerAway = new FakeKafkaRetriesExceeded(new FakeKafkaConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092'));
  assert.equal(isPermanent(brokerAway), false);
  assert.equal(isPermanent(new FakeKafkaRetriesExceeded(new FakeKafkaAuthError('SASL authentication failed'))), true);
});
