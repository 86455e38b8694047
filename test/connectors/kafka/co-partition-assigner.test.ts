/** The co-partition assigner: partition p of every topic to one member, deterministic, unequal counts refused. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coPartitionAssignment } from '../../../connectors/kafka/co-partition-assigner.js';
import { ConfigError } from '../../../schemas/errors.js';

describe('coPartitionAssignment', () => {
  const topics = new Map([['md.binance.spot.trades', 6], ['md.binance.spot.aggTrades', 6]]);

  it('gives partition p of every topic to the same member, every partition exactly once', () => {
    const assignment = coPartitionAssignment(['m-b', 'm-c', 'm-a'], topics);
    const owners = new Map<string, string>();
    for (const [member, byTopic] of assignment) {
      for (const [topic, partitions] of Object.entries(byTopic)) for (const p of partitions) {
        assert.equal(owners.get(`${topic}/${p}`), undefined);
        owners.set(`${topic}/${p}`, member);
      }
    }
    assert.equal(owners.size, 12);
    for (let p = 0; p < 6; p++) assert.equal(owners.get(`md.binance.spot.trades/${p}`), owners.get(`md.binance.spot.aggTrades/${p}`));
    assert.deepEqual(assignment.get('m-a'), { 'md.binance.spot.trades': [0, 3], 'md.binance.spot.aggTrades': [0, 3] });
  });

  it('is the same whatever order the members come in', () => {
    assert.deepEqual(coPartitionAssignment(['x', 'y'], topics), coPartitionAssignment(['y', 'x'], topics));
  });

  it('refuses topics with different partition counts, naming them', () => {
    assert.throws(() => coPartitionAssignment(['m'], new Map([['a', 6], ['b', 3]])), (error: unknown) => error instanceof ConfigError && /a: 6, b: 3/.test(error.message));
  });
});
