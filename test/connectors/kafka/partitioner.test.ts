import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { PartitionerArgs } from 'kafkajs';
import { Partitioners } from '../../../connectors/kafka/kafkajs.js';
import { cachedPartitioner } from '../../../connectors/kafka/to-kafka.js';

const metadata = (count: number): PartitionerArgs['partitionMetadata'] =>
  Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));

it('puts every key on the partition kafkajs\' default (Java-compatible murmur2) partitioner chooses, per topic and partition count', () => {
  const cached = cachedPartitioner();
  const reference = Partitioners.DefaultPartitioner();
  for (const count of [1, 3, 6, 12]) {
    for (const topic of ['md.binance.spot.trade', 'md.binance.um.aggTrade']) {
      for (let i = 0; i < 200; i++) {
        const key = Buffer.from(`SYM${i}USDT`);
        const args = { topic, partitionMetadata: metadata(count), message: { key, value: null } };
        const expected = reference(args);
        assert.equal(cached(args), expected);
        assert.equal(cached(args), expected, 'cached answer');
      }
    }
  }
  assert.equal(cached({ topic: 't', partitionMetadata: metadata(6), message: { key: Buffer.from('X'), value: null, partition: 4 } }), 4);
});
