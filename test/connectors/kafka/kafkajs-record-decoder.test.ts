import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { kafkajsFastPaths, kafkajsRecordEncoder, type RecordArgs } from '../../../connectors/kafka/kafkajs.js';
import { kafkajsRecordDecoder, type KafkajsDecoder, type RecordBatchContext, type RecordDecoder } from '../../../connectors/kafka/kafkajs-record-decoder.js';

const require = createRequire(import.meta.url);
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => KafkajsDecoder;
const encode = kafkajsRecordEncoder as (args: RecordArgs) => { buffer: Buffer };

/** kafkajs' own record decoder, loaded fresh from disk (the cached module is ours once installed). */
function kafkajsDecoder(): RecordDecoder {
  const path = require.resolve('kafkajs/src/protocol/recordBatch/record/v0/decoder.js');
  const cached = require.cache[path];
  delete require.cache[path];
  try {
    return require(path) as RecordDecoder;
  } finally {
    require.cache[path] = cached;
  }
}

/** One record as the record batch decoder hands it over: its bytes without the length prefix. */
function recordBytes(args: RecordArgs): Buffer {
  return new Decoder(encode(args).buffer).readVarIntBytes() as Buffer;
}

const bytes = fc.option(fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)));
const records = fc.record({
  offsetDelta: fc.integer({ min: 0, max: 2 ** 30 - 1 }),
  timestampDelta: fc.oneof(fc.integer({ min: -100_000, max: 100_000 }), fc.integer({ min: -(2 ** 50), max: 2 ** 50 })),
  key: bytes, value: bytes,
}, { requiredKeys: ['key', 'value'] });
const decimal = fc.oneof(fc.integer({ min: -1, max: 2 ** 45 }), fc.constantFrom(2 ** 53 - 1, 2 ** 53, 2 ** 60)).map((n) => BigInt(n).toString());
const contexts = fc.record({
  firstOffset: decimal, firstTimestamp: decimal, maxTimestamp: decimal, timestampType: fc.constantFrom(0, 1),
  magicByte: fc.constant(2), isControlBatch: fc.boolean(),
}).map((c): RecordBatchContext => c);

describe('kafkajs record decoder', () => {
  it('is the one kafkajs uses', () => {
    assert.equal(kafkajsFastPaths.installed, true, kafkajsFastPaths.reason);
    assert.notEqual(require('kafkajs/src/protocol/recordBatch/record/v0/decoder.js'), kafkajsDecoder());
  });

  it('decodes every record as kafkajs does, offsets and timestamps beyond 2^53 and appended times included', () => {
    const theirs = kafkajsDecoder();
    let counted = 0;
    const ours = kafkajsRecordDecoder(theirs, () => { counted++; });
    fc.assert(fc.property(records, contexts, (args, context) => {
      const body = recordBytes(args);
      const expected = theirs(new Decoder(body), context);
      const decoder = new Decoder(body);
      assert.deepEqual(ours(decoder, context), expected);
      assert.equal(decoder.offset, body.length);
    }), { numRuns: 3000 });
    assert.ok(counted > 500, `${counted} decoded without kafkajs`);
  });

  it('leaves records with headers to kafkajs, from their first byte', () => {
    const theirs = kafkajsDecoder();
    const ours = kafkajsRecordDecoder(theirs, () => assert.fail('a record with headers is kafkajs\''));
    const body = new Decoder(encode({ key: Buffer.from('k'), value: Buffer.from('v'), headers: { h: 'x', i: ['y', 'z'] } }).buffer).readVarIntBytes() as Buffer;
    const context: RecordBatchContext = { firstOffset: '5', firstTimestamp: '1777000000000', timestampType: 0, magicByte: 2 };
    assert.deepEqual(ours(new Decoder(body), context), theirs(new Decoder(body), context));
  });
});
