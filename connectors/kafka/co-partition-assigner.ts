/**
 * A kafkajs partition assigner that co-partitions: partition `p` of every subscribed topic goes to the same
 * group member. With key = symbol and the same murmur2 partitioner on every topic, one member then owns
 * every copy of a symbol's streams (the batch layer's and the speed layer's), so its operator state sees
 * them all. Topics with different partition counts cannot be co-partitioned: the assignment is refused with
 * a {@link ConfigError} naming the counts.
 */
import type { GroupMember, GroupMemberAssignment, PartitionAssigner } from 'kafkajs';
import { ConfigError } from '../../schemas/errors.js';
import { AssignerProtocol } from './kafkajs.js';

/** The assigner's protocol name (every member of a group must offer it). */
export const CO_PARTITION_ASSIGNER = 'CoPartitionAssigner';

/**
 * Which member gets which partition numbers: partition numbers are dealt round-robin over the members
 * sorted by id, so the assignment is deterministic for the same membership. Pure, for tests.
 */
export function coPartitionAssignment(memberIds: readonly string[], partitionsByTopic: ReadonlyMap<string, number>): Map<string, Record<string, number[]>> {
  const counts = new Set(partitionsByTopic.values());
  if (counts.size > 1) {
    const listed = [...partitionsByTopic].map(([topic, n]) => `${topic}: ${n}`).join(', ');
    throw new ConfigError(`cannot co-partition topics with different partition counts (${listed}); give every md.* topic the same number of partitions`);
  }
  const sorted = [...memberIds].sort();
  const assignment = new Map<string, Record<string, number[]>>(sorted.map((id) => [id, {}]));
  const partitions = counts.size === 0 ? 0 : [...counts][0];
  for (let p = 0; p < partitions; p++) {
    const member = assignment.get(sorted[p % sorted.length]) as Record<string, number[]>;
    for (const topic of partitionsByTopic.keys()) (member[topic] ??= []).push(p);
  }
  return assignment;
}

/** The kafkajs assigner built on {@link coPartitionAssignment}. */
export const coPartitionAssigner: PartitionAssigner = ({ cluster }) => ({
  name: CO_PARTITION_ASSIGNER,
  version: 0,
  assign({ members, topics }: { members: GroupMember[]; topics: string[] }): Promise<GroupMemberAssignment[]> {
    const counts = new Map(topics.map((topic) => [topic, cluster.findTopicPartitionMetadata(topic).length] as const));
    const assignment = coPartitionAssignment(members.map((m) => m.memberId), counts);
    return Promise.resolve([...assignment].map(([memberId, topicPartitions]) => ({
      memberId, memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: topicPartitions, userData: Buffer.alloc(0) }),
    })));
  },
  protocol({ topics }: { topics: string[] }) {
    return { name: CO_PARTITION_ASSIGNER, metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
  },
});
