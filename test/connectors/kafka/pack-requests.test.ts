import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from 'kafkajs';
import { messageBytes, packRequests, type OutMessage } from '../../../connectors/kafka/pack-requests.js';

const out = (topic: string, key: string, i: number, bytes = 100): OutMessage => ({ topic, message: { key, value: Buffer.from(String(i)) }, bytes });
const valuesOf = (messages: readonly Message[]): string[] => messages.map((m) => String(m.value));

test('no request carries more than the byte limit and together they carry every message once, in order', () => {
  const messages = Array.from({ length: 95 }, (_, i) => out('t', `k${i % 3}`, i));
  const requests = packRequests(messages, 1000);
  assert.deepEqual(requests.map((r) => r.count), [10, 10, 10, 10, 10, 10, 10, 10, 10, 5]);
  for (const request of requests) assert.ok(request.bytes <= 1000);
  assert.deepEqual(requests.flatMap((r) => r.topicMessages.flatMap((t) => valuesOf(t.messages))), messages.map((_, i) => String(i)));
});

test('messages of several topics are grouped per topic within a request, each topic in its original order', () => {
  const messages = [out('a', 'x', 0), out('b', 'x', 1), out('a', 'y', 2), out('b', 'y', 3), out('a', 'x', 4)];
  const [request, ...rest] = packRequests(messages, 10_000);
  assert.equal(rest.length, 0);
  assert.deepEqual(request.topicMessages.map((t) => [t.topic, valuesOf(t.messages)]), [['a', ['0', '2', '4']], ['b', ['1', '3']]]);
});

test('a message larger than the limit travels alone in its own request', () => {
  const requests = packRequests([out('t', 'k', 0), out('t', 'k', 1, 5000), out('t', 'k', 2)], 1000);
  assert.deepEqual(requests.map((r) => r.count), [1, 1, 1]);
  assert.equal(requests[1].bytes, 5000);
});

test('no messages make no requests', () => {
  assert.deepEqual(packRequests([], 1000), []);
});

test('a message\'s byte estimate covers its key, value and headers in UTF-8 bytes', () => {
  const plain = messageBytes({ key: 'BTCUSDT', value: Buffer.alloc(50) });
  assert.ok(plain >= 7 + 50);
  const withHeader = messageBytes({ key: 'BTCUSDT', value: Buffer.alloc(50), headers: { unitId: 'é'.repeat(10) } });
  assert.ok(withHeader >= plain + 'unitId'.length + 20);
});
