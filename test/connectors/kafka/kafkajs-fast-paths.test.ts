import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { describe, it, mock } from 'node:test';
import fc from 'fast-check';
import {
  encodeRecord, groupMessagesPerPartition, kafkajsFastPaths, kafkajsRecordEncoder, type RecordArgs,
} from '../../../connectors/kafka/kafkajs.js';

const require = createRequire(import.meta.url);

/** Loads a kafkajs source file as it is on disk, bypassing the module cache, with some requires redirected. */
function pristine<T>(request: string, redirect: Record<string, unknown> = {}): T {
  const path = require.resolve(request);
  const module = { exports: {} as unknown };
  const localRequire = (id: string): unknown => (id in redirect ? redirect[id] : require(resolve(dirname(path), id)));
  new Function('module', 'exports', 'require', readFileSync(path, 'utf8'))(module, module.exports, localRequire);
  return module.exports as T;
}

type Encoded = { buffer: Buffer };
const original = kafkajsRecordEncoder as (args: RecordArgs) => Encoded;

const bytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
const recordArgs = fc.record({
  offsetDelta: fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 2 ** 30 - 1 })),
  timestampDelta: fc.oneof(fc.integer({ min: -100_000, max: 100_000 }), fc.integer({ min: -(2 ** 50), max: 2 ** 50 })),
  key: fc.option(bytes),
  value: fc.option(fc.oneof(bytes, fc.integer({ min: 0, max: 20_000 }).map((n) => Buffer.alloc(n, 7)))),
}, { requiredKeys: ['key', 'value'] });

describe('kafkajs fast paths', () => {
  it('are installed on the pinned kafkajs', () => {
    assert.equal(kafkajsFastPaths.installed, true, kafkajsFastPaths.reason);
    assert.ok(original !== undefined);
  });

  it('encode a record to the same bytes as kafkajs', () => {
    fc.assert(fc.property(recordArgs, (args) => {
      const ours = encodeRecord(args);
      assert.ok(ours !== undefined);
      assert.deepEqual(ours.buffer, original(args).buffer);
    }), { numRuns: 2000 });
  });

  it('leave records with headers or string payloads to kafkajs', () => {
    assert.equal(encodeRecord({ key: Buffer.from('k'), value: Buffer.from('v'), headers: { h: 'x' } }), undefined);
    assert.equal(encodeRecord({ key: 'k', value: Buffer.from('v') }), undefined);
    assert.equal(encodeRecord({ key: null, value: 'v' }), undefined);
    assert.equal(encodeRecord({ key: null, value: null, headers: null }), undefined);
    assert.equal(encodeRecord({ key: null, value: null, timestampDelta: 0.5 }), undefined);
    assert.ok(encodeRecord({ key: null, value: null, headers: {} }) !== undefined);
  });

  it('group messages per partition as kafkajs does', () => {
    const kafkajsGroup = pristine<typeof groupMessagesPerPartition>('kafkajs/src/producer/groupMessagesPerPartition.js');
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 11 }), { maxLength: 300 }), fc.integer({ min: 0, max: 12 }), (partitions, count) => {
      const args = {
        topic: 't', partitionMetadata: Array.from({ length: count }, (_, i) => ({ partitionId: i })),
        messages: partitions.map((p, i) => ({ p, i })),
        partitioner: ({ message }: { message: unknown }) => (message as { p: number }).p,
      };
      const ours = groupMessagesPerPartition(args);
      const theirs = kafkajsGroup(args);
      assert.deepEqual(Object.keys(ours), Object.keys(theirs));
      for (const key of Object.keys(theirs)) assert.deepEqual(ours[Number(key)], theirs[Number(key)]);
    }));
  });

  it('are what kafkajs produce requests use: same request bytes as with its own record encoder', async () => {
    type Produce = (args: unknown) => { encode: () => Promise<{ buffer: Buffer }> };
    const patched = require('kafkajs/src/protocol/requests/produce/v3/request.js') as Produce;
    const unpatched = pristine<Produce>('kafkajs/src/protocol/requests/produce/v3/request.js', {
      '../../../recordBatch/record/v0': pristine('kafkajs/src/protocol/recordBatch/record/v0/index.js'),
    });
    const messages = Array.from({ length: 700 }, (_, i) => ({
      key: Buffer.from(`S${i % 5}USDT`), value: Buffer.alloc(40 + (i % 90), i % 256), timestamp: String(1_777_000_000_000 + i),
    }));
    const request = {
      acks: -1, timeout: 30_000, compression: 0, transactionalId: null, producerId: 42, producerEpoch: 0,
      topicData: [{ topic: 'binance.spot.trade', partitions: [{ partition: 3, firstSequence: 17, messages }] }],
    };
    const before = kafkajsFastPaths.recordsEncoded;
    const ours = await patched(request).encode();
    assert.equal(kafkajsFastPaths.recordsEncoded - before, messages.length);
    const theirs = await unpatched(request).encode();
    assert.deepEqual(ours.buffer, theirs.buffer);
  });

  it('encode whole produce requests in one pass to the bytes of kafkajs\' request, whatever the topics, partitions and messages', async () => {
    type Produce = (args: unknown) => { encode: () => Promise<{ buffer: Buffer }> };
    const patched = require('kafkajs/src/protocol/requests/produce/v3/request.js') as Produce;
    const unpatched = pristine<Produce>('kafkajs/src/protocol/requests/produce/v3/request.js', {
      '../../../recordBatch/record/v0': pristine('kafkajs/src/protocol/recordBatch/record/v0/index.js'),
    });
    const message = fc.record({
      key: fc.option(bytes),
      value: fc.option(bytes),
      timestamp: fc.option(fc.oneof(fc.integer({ min: 1_700_000_000_000, max: 1_800_000_000_000 }), fc.integer({ min: 1_000_000, max: 99_999_999 }).map(String)), { freq: 3 }),
      headers: fc.option(fc.constant({ h: 'x' }), { freq: 10, nil: undefined }),
    }, { requiredKeys: ['key', 'value'] });
    const partition = fc.record({ partition: fc.integer({ min: 0, max: 11 }), firstSequence: fc.option(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { nil: undefined }), messages: fc.array(message, { maxLength: 40 }) });
    const request = fc.record({
      acks: fc.constantFrom(-1, 1), timeout: fc.integer({ min: 0, max: 60_000 }),
      transactionalId: fc.option(fc.constantFrom('tx-1', 'é-tx'), { nil: null }), producerId: fc.oneof(fc.integer({ min: -1, max: 2 ** 31 - 1 }), fc.constant(undefined)),
      producerEpoch: fc.integer({ min: 0, max: 5 }), compression: fc.constant(0),
      topicData: fc.array(fc.record({ topic: fc.constantFrom('a', 'binance.spot.trade', 'ü.topic'), partitions: fc.array(partition, { minLength: 1, maxLength: 4 }) }), { minLength: 1, maxLength: 3 }),
    });
    const now = mock.method(Date, 'now', () => 1_777_000_000_123);
    try {
      const before = kafkajsFastPaths.produceRequests;
      await fc.assert(fc.asyncProperty(request, async (args) => {
        assert.deepEqual((await patched(args).encode()).buffer, (await unpatched(args).encode()).buffer);
      }), { numRuns: 300 });
      assert.ok(kafkajsFastPaths.produceRequests - before >= 300, 'the one-pass encoder ran');
    } finally {
      now.mock.restore();
    }
  });
});

