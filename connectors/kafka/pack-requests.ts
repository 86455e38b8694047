/**
 * Cuts encoded messages into produce requests of bounded size, pure. kafkajs writes all messages of one
 * topic-partition of one `send` as one record batch, and the broker refuses a record batch above the topic's
 * `max.message.bytes` (≈ 1 MB by default) with MESSAGE_TOO_LARGE; bounding the whole request bounds every
 * partition's record batch in it. Messages keep their order within each topic (and so within each key), and
 * requests are meant to be sent one after another in the order returned.
 */
import type { Message, TopicMessages } from 'kafkajs';

/** One encoded message and its topic. */
export interface OutMessage {
  readonly topic: string;
  readonly message: Message;
  /** Estimated bytes on the wire, see {@link messageBytes}. */
  readonly bytes: number;
}

/** One `producer.sendBatch` worth of messages. */
export interface ProduceRequest {
  readonly topicMessages: TopicMessages[];
  /** Estimated bytes of all its messages. */
  readonly bytes: number;
  /** Number of messages in it. */
  readonly count: number;
}

/** Per-record overhead of the v2 record format (length, attributes, deltas, varint lengths), rounded up. */
const RECORD_OVERHEAD_BYTES = 24;

const byteLength = (value: Buffer | string | null | undefined): number =>
  value === null || value === undefined ? 0 : typeof value === 'string' ? Buffer.byteLength(value) : value.length;

/** Upper estimate of a message's bytes in an uncompressed v2 record batch: key, value, headers, overhead. */
export function messageBytes(message: Message): number {
  let bytes = RECORD_OVERHEAD_BYTES + byteLength(message.key) + byteLength(message.value);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) bytes += 2 + Buffer.byteLength(name) + byteLength(v as Buffer | string | undefined);
  }
  return bytes;
}

/**
 * Packs `messages` (in order) into requests of at most `maxRequestBytes` and `maxRequestMessages` each, a
 * message larger than the byte limit alone in its own request (the broker then decides). Within a request,
 * messages are grouped per topic in their original order.
 */
export function packRequests(messages: readonly OutMessage[], maxRequestBytes: number, maxRequestMessages = Infinity): ProduceRequest[] {
  const requests: ProduceRequest[] = [];
  let byTopic = new Map<string, Message[]>();
  let bytes = 0;
  let count = 0;
  const flush = (): void => {
    if (count === 0) return;
    requests.push({ topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list })), bytes, count });
    byTopic = new Map();
    bytes = 0;
    count = 0;
  };
  for (const { topic, message, bytes: size } of messages) {
    if (count > 0 && (bytes + size > maxRequestBytes || count >= maxRequestMessages)) flush();
    const list = byTopic.get(topic);
    if (list === undefined) byTopic.set(topic, [message]);
    else list.push(message);
    bytes += size;
    count++;
  }
  flush();
  return requests;
}
