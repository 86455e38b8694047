/**
 * kafkajs' consumer `Batch` (`consumer/batch`), with the same messages at a fraction of the cost: kafkajs keeps
 * the messages at or after the fetched offset by parsing every message's decimal offset into a Long
 * (`Long.fromValue(message.offset).gte(…)`, a BigInt parse per message: a tenth of a consumer's CPU on the serve
 * bench). Here an offset that is a safe integer printed the usual way is compared as a number; any other offset
 * (beyond 2^53, or not in that form) is compared by kafkajs' Long as before. Everything else is kafkajs' own class
 * (its methods, the aborted-transaction and control-record filters). Installed by kafkajs.ts, which loads kafkajs.
 */

/** kafkajs' Long, as far as the batch uses it. */
export interface KafkajsLong {
  fromValue(value: unknown): { gte(other: unknown): boolean };
}

/** What kafkajs' Batch reads of a message. */
interface BatchMessage { readonly offset: string; readonly isControlRecord?: boolean }

/** The fields of kafkajs' Batch that its constructor sets from the messages. */
interface BatchFields {
  rawMessages: readonly BatchMessage[];
  messagesWithinOffset: readonly BatchMessage[];
  messages: readonly BatchMessage[];
}

type BatchClass = new (topic: string, fetchedOffset: unknown, partitionData: { messages: readonly BatchMessage[]; abortedTransactions?: unknown }) => object;
type AbortedFilter = (args: { messages: readonly BatchMessage[]; abortedTransactions?: unknown }) => BatchMessage[];

/** A decimal string as a number when that is exact (a safe integer printed the same way back), else NaN. */
function exactNumber(value: unknown): number {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : NaN;
  if (typeof value !== 'string') return NaN;
  const number = Number(value);
  return Number.isSafeInteger(number) && String(number) === value ? number : NaN;
}

/** kafkajs' Batch class with the offset filter done on numbers where that is exact. */
export function kafkajsBatch(Batch: BatchClass, Long: KafkajsLong, filterAbortedMessages: AbortedFilter): BatchClass {
  return class FastBatch extends Batch {
    constructor(topic: string, fetchedOffset: unknown, partitionData: { messages: readonly BatchMessage[]; abortedTransactions?: unknown }) {
      // kafkajs' constructor with no messages (its filters then cost nothing), then the messages' fields as it sets them.
      super(topic, fetchedOffset, { ...partitionData, messages: [] });
      const { messages, abortedTransactions } = partitionData;
      const fetched = exactNumber(fetchedOffset);
      let longFetched: unknown;
      const within = messages.filter((message) => {
        const offset = exactNumber(message.offset);
        if (!Number.isNaN(offset) && !Number.isNaN(fetched)) return offset >= fetched;
        longFetched ??= Long.fromValue(fetchedOffset);
        return Long.fromValue(message.offset).gte(longFetched);
      });
      const fields = this as unknown as BatchFields;
      fields.rawMessages = messages;
      fields.messagesWithinOffset = within;
      fields.messages = filterAbortedMessages({ messages: within, abortedTransactions }).filter((message) => !message.isControlRecord);
    }
  };
}
