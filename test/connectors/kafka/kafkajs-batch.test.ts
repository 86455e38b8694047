import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { it } from 'node:test';
import fc from 'fast-check';
import { kafkajsFastPaths } from '../../../connectors/kafka/kafkajs.js';

const require = createRequire(import.meta.url);

interface Message { offset: string; isControlRecord: boolean; key: Buffer | null; batchContext: { producerId: string; inTransaction: boolean } }
interface BatchLike { messages: Message[]; messagesWithinOffset: Message[]; rawMessages: Message[]; firstOffset(): string | null; lastOffset(): string; isEmpty(): boolean; offsetLag(): string }
type BatchClass = new (topic: string, fetchedOffset: string, partitionData: object) => BatchLike;

/** A kafkajs module as installed (ours where kafkajs.ts replaced it), and kafkajs' own, loaded fresh from disk. */
function both(module: string): { installed: BatchClass; original: BatchClass } {
  const path = require.resolve(module);
  const cached = require.cache[path];
  delete require.cache[path];
  try {
    return { installed: cached?.exports as BatchClass, original: require(path) as BatchClass };
  } finally {
    require.cache[path] = cached;
  }
}

const offsets = fc.oneof(fc.integer({ min: 0, max: 2 ** 40 }), fc.constantFrom(2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 62)).map((n) => BigInt(n).toString());

it('the installed consumer batch keeps the same messages as kafkajs\' own, safe offsets or not', () => {
  assert.ok(kafkajsFastPaths.installed, kafkajsFastPaths.reason);
  const { installed, original } = both('kafkajs/src/consumer/batch.js');
  assert.notEqual(installed, original);
  fc.assert(fc.property(offsets, fc.array(fc.tuple(offsets, fc.boolean(), fc.boolean()), { maxLength: 30 }), fc.boolean(), (fetched, rows, aborted) => {
    const messages: Message[] = rows.map(([offset, control, marker]) => ({
      offset, isControlRecord: control, key: marker ? Buffer.from([0, 0, 0, 0]) : null, batchContext: { producerId: '7', inTransaction: true },
    }));
    const partitionData = { partition: 3, highWatermark: '9007199254740999', messages, abortedTransactions: aborted && rows.length > 0 ? [{ firstOffset: rows[0]![0], producerId: '7' }] : [] };
    const ours = new installed('t', fetched, partitionData);
    const theirs = new original('t', fetched, partitionData);
    assert.deepEqual(ours.messagesWithinOffset, theirs.messagesWithinOffset);
    assert.deepEqual(ours.messages, theirs.messages);
    assert.equal(ours.rawMessages, messages);
    assert.equal(ours.firstOffset(), theirs.firstOffset());
    assert.equal(ours.lastOffset(), theirs.lastOffset());
    assert.equal(ours.isEmpty(), theirs.isEmpty());
    assert.equal(ours.offsetLag(), theirs.offsetLag());
  }), { numRuns: 500 });
});
