/**
 * The one module that loads kafkajs' runtime (everything else imports only its types). Before kafkajs' own
 * modules load, three of its producer internals and one consumer internal are replaced by versions that give
 * exactly the same results at a fraction of the cost: the largest costs of a busy producer after our own
 * encoding (bench/kafka.ts, bench/live.ts; `--cpu-prof` of the sink worker), and of the consumer's decoding:
 *
 * - `producer/groupMessagesPerPartition`: kafkajs 2.2.4 copies a partition's whole array for every message
 *   (`[...current, message]`), quadratic in the messages of a request, with megabytes of garbage per
 *   thousand messages (upstream: tulios/kafkajs PR #1576, unmerged). Replaced by a linear grouping: same
 *   partitions, same message order.
 * - `protocol/recordBatch/record/v0` (one Kafka record of a record batch): kafkajs zero-fills a 512-byte
 *   buffer per record, and allocates an array, a Buffer and several Long objects per varint. Replaced, for
 *   the records this project sends (Buffer or null key and value, no headers, integer deltas), by a writer
 *   into 64 KiB slabs that returns a view; the bytes are identical (tested against kafkajs' encoder). Any
 *   other record (string values, headers) goes to kafkajs' own encoder.
 * - `protocol/requests/produce/v3/request` (the produce request of versions 3–7, uncompressed): kafkajs copies
 *   every message into a new object per record (`{ ...message, offsetDelta, timestampDelta }`), then builds
 *   each partition's record batch through five nested encoders that each start at 512 zero-filled bytes and
 *   double, copying the whole payload at every level. Replaced by one pass that encodes the records first
 *   and writes the request into one buffer of its exact size (the record batch CRC computed in place); the
 *   bytes are identical (tested against kafkajs' request). Compressed requests go to kafkajs' own.
 * - `protocol/recordBatch/record/v0/decoder` (one consumed record): kafkajs-record-decoder.ts, the same
 *   record without a Long per varint byte and per offset and timestamp.
 * - `consumer/batch` (one fetched partition's messages): kafkajs-batch.ts, the same messages without a Long
 *   parsed from every message's offset to compare it with the fetched one.
 *
 * This only works while kafkajs' producer modules are not loaded yet, so the replacement is done here, at
 * first import, and value imports of `kafkajs` elsewhere are refused by the lint (.dependency-cruiser.cjs).
 * It is applied to kafkajs 2.2.4 only (the pinned version): another version loads unchanged, and
 * {@link kafkajsFastPaths} says why.
 */
import { createRequire } from 'node:module';
import type * as KafkaJs from 'kafkajs';
import { kafkajsBatch, type KafkajsLong } from './kafkajs-batch.js';
import { kafkajsRecordDecoder, type RecordDecoder } from './kafkajs-record-decoder.js';

const require = createRequire(import.meta.url);

/** The kafkajs version whose internals the replacements match. */
const PATCHED_VERSION = '2.2.4';

const GROUP_MODULE = 'kafkajs/src/producer/groupMessagesPerPartition.js';
const RECORD_MODULE = 'kafkajs/src/protocol/recordBatch/record/v0/index.js';
const PRODUCER_MODULE = 'kafkajs/src/producer/sendMessages.js';
const PRODUCE_V3_MODULE = 'kafkajs/src/protocol/requests/produce/v3/request.js';
const ENCODER_MODULE = 'kafkajs/src/protocol/encoder.js';
const CRC32C_MODULE = 'kafkajs/src/protocol/recordBatch/crc32C/index.js';
const RECORD_DECODER_MODULE = 'kafkajs/src/protocol/recordBatch/record/v0/decoder.js';
const BATCH_MODULE = 'kafkajs/src/consumer/batch.js';

/** Whether the fast paths are in use, and counters that show they run. */
export interface KafkajsFastPaths {
  readonly installed: boolean;
  /** Why not, when not installed. */
  readonly reason: string;
  /** Produce requests grouped by the linear grouping. */
  groupings: number;
  /** Records encoded by the slab writer (not counting those handed to kafkajs' encoder). */
  recordsEncoded: number;
  /** Produce requests encoded in one pass. */
  produceRequests: number;
  /** Consumed records decoded by kafkajs-record-decoder.ts (not counting those handed to kafkajs' decoder). */
  recordsDecoded: number;
}

interface GroupArgs {
  readonly topic: string;
  readonly partitionMetadata: readonly unknown[];
  readonly messages: readonly unknown[];
  readonly partitioner: (args: { topic: string; partitionMetadata: readonly unknown[]; message: unknown }) => number;
}

/** Arguments of kafkajs' record encoder. */
export interface RecordArgs {
  readonly offsetDelta?: number;
  readonly timestampDelta?: number;
  readonly key?: Buffer | string | null;
  readonly value?: Buffer | string | null;
  readonly headers?: Record<string, unknown> | null;
}

/** What kafkajs' record batch reads of an encoded record: `buf` (checked to be a Buffer) and `buffer`. */
export class EncodedRecord {
  constructor(readonly buf: Buffer) {}
  get buffer(): Buffer {
    return this.buf;
  }
}

/** kafkajs' grouping with the same result, in linear time. */
export function groupMessagesPerPartition(args: GroupArgs): Record<number, unknown[]> {
  const { topic, partitionMetadata, messages, partitioner } = args;
  if (partitionMetadata.length === 0) return {};
  const result: Record<number, unknown[]> = {};
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    const current = result[partition];
    if (current === undefined) result[partition] = [message];
    else current.push(message);
  }
  return result;
}

const SLAB_BYTES = 64 * 1024;
let slab = Buffer.allocUnsafe(SLAB_BYTES);
let slabUsed = 0;

/** Bytes of an unsigned LEB128 varint of a non-negative safe integer. */
function uvarintSize(value: number): number {
  let bytes = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    bytes++;
  }
  return bytes;
}

function writeUvarint(buf: Buffer, at: number, value: number): number {
  while (value >= 128) {
    buf[at++] = (value % 128) | 128;
    value = Math.floor(value / 128);
  }
  buf[at++] = value;
  return at;
}

/** Zigzag of a safe integer (the 64-bit one; equals the 32-bit one wherever that one applies). */
function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

const MAX_DELTA = 2 ** 51;

/** True for headers kafkajs would encode (and for a null, which its encoder rejects: left to it). */
function hasHeaders(headers: Record<string, unknown> | undefined | null): boolean {
  if (headers === undefined) return false;
  if (headers === null) return true;
  for (const _ in headers) return true;
  return false;
}

/**
 * One Kafka record (v2 record batch format) in kafkajs' layout, or undefined when the arguments are outside
 * the fast path (the caller then uses kafkajs' encoder).
 */
export function encodeRecord(args: RecordArgs): EncodedRecord | undefined {
  const { offsetDelta = 0, timestampDelta = 0, key, value, headers } = args;
  if (hasHeaders(headers)) return undefined;
  if (key !== null && key !== undefined && !Buffer.isBuffer(key)) return undefined;
  if (value !== null && value !== undefined && !Buffer.isBuffer(value)) return undefined;
  if (!Number.isInteger(offsetDelta) || offsetDelta < 0 || offsetDelta >= 2 ** 30) return undefined;
  if (!Number.isInteger(timestampDelta) || Math.abs(timestampDelta) >= MAX_DELTA) return undefined;
  const keyLength = key === null || key === undefined ? -1 : key.length;
  const valueLength = value === null || value === undefined ? -1 : value.length;
  const timestampZigzag = zigzag(timestampDelta);
  // attributes + timestampDelta + offsetDelta + key + value + header count (0)
  const body = 1 + uvarintSize(timestampZigzag) + uvarintSize(offsetDelta * 2)
    + (keyLength < 0 ? 1 : uvarintSize(keyLength * 2) + keyLength)
    + (valueLength < 0 ? 1 : uvarintSize(valueLength * 2) + valueLength)
    + 1;
  const total = uvarintSize(body * 2) + body;
  if (slabUsed + total > slab.length) {
    slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, total));
    slabUsed = 0;
  }
  const buf = slab;
  const start = slabUsed;
  let at = writeUvarint(buf, start, body * 2);
  buf[at++] = 0;
  at = writeUvarint(buf, at, timestampZigzag);
  at = writeUvarint(buf, at, offsetDelta * 2);
  if (keyLength < 0) buf[at++] = 1;
  else { at = writeUvarint(buf, at, keyLength * 2); at += (key as Buffer).copy(buf, at); }
  if (valueLength < 0) buf[at++] = 1;
  else { at = writeUvarint(buf, at, valueLength * 2); at += (value as Buffer).copy(buf, at); }
  buf[at++] = 0;
  slabUsed = at;
  return new EncodedRecord(buf.subarray(start, at));
}

type RecordEncoder = (args: RecordArgs) => { buf: Buffer; readonly buffer: Buffer };

interface CachedModule { exports: unknown }

function install(): { status: KafkajsFastPaths; originalRecord: RecordEncoder | undefined } {
  const not = (reason: string): { status: KafkajsFastPaths; originalRecord: undefined } => ({
    status: { installed: false, reason, groupings: 0, recordsEncoded: 0, produceRequests: 0, recordsDecoded: 0 }, originalRecord: undefined,
  });
  let version: string;
  let paths: { group: string; record: string; producer: string; produce: string; recordDecoder: string };
  try {
    version = (require('kafkajs/package.json') as { version: string }).version;
    paths = {
      group: require.resolve(GROUP_MODULE), record: require.resolve(RECORD_MODULE), producer: require.resolve(PRODUCER_MODULE),
      produce: require.resolve(PRODUCE_V3_MODULE), recordDecoder: require.resolve(RECORD_DECODER_MODULE),
    };
  } catch (error) {
    return not(`kafkajs internals not found: ${(error as Error).message}`);
  }
  if (version !== PATCHED_VERSION) return not(`kafkajs ${version} is not ${PATCHED_VERSION}, the version the fast paths match`);
  const cache = require.cache as Record<string, CachedModule | undefined>;
  if (cache[paths.producer] !== undefined) return not('kafkajs was loaded before connectors/kafka/kafkajs.ts');
  require(paths.group);
  const originalRecord = require(paths.record) as RecordEncoder;
  const status: KafkajsFastPaths = { installed: true, reason: '', groupings: 0, recordsEncoded: 0, produceRequests: 0, recordsDecoded: 0 };
  const recordDecoder = cache[paths.recordDecoder] === undefined ? require(paths.recordDecoder) as RecordDecoder : undefined;
  if (recordDecoder !== undefined) {
    (cache[paths.recordDecoder] as CachedModule).exports = kafkajsRecordDecoder(recordDecoder, () => { status.recordsDecoded++; });
  }
  // kafkajs-batch.ts: the consumer's batch without a Long per message.
  const batch = require.resolve(BATCH_MODULE);
  if (cache[batch] === undefined) {
    const Batch = require(batch) as Parameters<typeof kafkajsBatch>[0];
    const long = require('kafkajs/src/utils/long.js') as KafkajsLong;
    const aborted = require('kafkajs/src/consumer/filterAbortedMessages.js') as Parameters<typeof kafkajsBatch>[2];
    (cache[batch] as unknown as CachedModule).exports = kafkajsBatch(Batch, long, aborted);
  }
  (cache[paths.group] as CachedModule).exports = (args: GroupArgs) => {
    status.groupings++;
    return groupMessagesPerPartition(args);
  };
  // Ours where it applies, else kafkajs' own: for kafkajs' record batches and for the one-pass produce request.
  const record: RecordEncoder = (args) => {
    const encoded = encodeRecord(args);
    if (encoded === undefined) return originalRecord(args);
    status.recordsEncoded++;
    return encoded;
  };
  (cache[paths.record] as CachedModule).exports = record;
  const originalProduce = require(paths.produce) as (args: ProduceArgs) => ProduceRequestV3;
  const kernel: ProduceKernel = {
    Encoder: require(ENCODER_MODULE) as ProduceKernel['Encoder'],
    crc32C: require(CRC32C_MODULE) as ProduceKernel['crc32C'],
    record: (args) => record(args).buffer,
  };
  (cache[paths.produce] as CachedModule).exports = (args: ProduceArgs) => {
    const request = originalProduce(args);
    if ((args.compression ?? 0) !== 0) return request;
    return { ...request, encode: async () => { status.produceRequests++; return encodeProduceRequest(kernel, args); } };
  };
  return { status, originalRecord };
}

/** kafkajs' encoder, as far as the produce request uses it. */
interface KafkajsEncoder {
  buf: Buffer;
  offset: number;
  writeString(value: string | null): KafkajsEncoder;
  writeInt8(value: number): KafkajsEncoder;
  writeInt16(value: number): KafkajsEncoder;
  writeInt32(value: number): KafkajsEncoder;
  writeUInt32(value: number): KafkajsEncoder;
  writeInt64(value: unknown): KafkajsEncoder;
}

/** What {@link encodeProduceRequest} needs from kafkajs, and the record encoder. */
interface ProduceKernel {
  readonly Encoder: new (initialSize?: number) => KafkajsEncoder;
  readonly crc32C: (buffer: Buffer) => number;
  /** One record's bytes (ours, or kafkajs' for what ours does not take). */
  readonly record: (args: RecordArgs) => Buffer;
}

interface ProduceMessage { readonly key?: Buffer | string | null; readonly value?: Buffer | string | null; readonly headers?: Record<string, unknown>; readonly timestamp?: number | string | null }

/** The arguments of kafkajs' produce request v3 (versions 4–7 delegate to it). */
export interface ProduceArgs {
  readonly acks: number;
  readonly timeout: number;
  readonly transactionalId?: string | null;
  readonly producerId?: unknown;
  readonly producerEpoch?: number;
  readonly compression?: number;
  readonly topicData: readonly { readonly topic: string; readonly partitions: readonly { readonly partition: number; readonly firstSequence?: number; readonly messages: readonly ProduceMessage[] }[] }[];
}

interface ProduceRequestV3 { readonly encode: () => Promise<unknown> }

/** Fixed bytes of a record batch body before its records: attributes … firstSequence, and the record count. */
const BATCH_BODY_HEADER = 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;
const TRANSACTIONAL_MASK = 16;
const MAGIC_BYTE = 2;

/**
 * kafkajs' uncompressed produce request v3, byte for byte, in one buffer: records are encoded first (so
 * every length is known), then the request is written once and each batch's CRC-32C computed where it lies.
 * Timestamps as kafkajs takes them: messages without one get `Date.now()` (read once per partition).
 */
export function encodeProduceRequest(kernel: ProduceKernel, args: ProduceArgs): KafkajsEncoder {
  const { acks, timeout, transactionalId = null, producerEpoch = 0, topicData } = args;
  const producerId = args.producerId ?? -1;
  const attributes = transactionalId ? TRANSACTIONAL_MASK : 0;
  const scratch: { key?: Buffer | string | null; value?: Buffer | string | null; headers?: Record<string, unknown>; offsetDelta: number; timestampDelta: number } = { offsetDelta: 0, timestampDelta: 0 };
  let total = 2 + (transactionalId === null ? 0 : Buffer.byteLength(transactionalId, 'utf8')) + 2 + 4 + 4;
  const topics = topicData.map(({ topic, partitions }) => {
    total += 2 + Buffer.byteLength(topic, 'utf8') + 4;
    return partitions.map(({ partition, firstSequence, messages }) => {
      const dateNow = Date.now();
      let stamped = false;
      for (const m of messages) if (m.timestamp != null) { stamped = true; break; }
      // kafkajs sorts the timestamps as strings (Array#sort without a comparator); so does the rare path here.
      const sorted = stamped ? messages.map((m) => m.timestamp).filter((t) => t != null).sort() as (number | string)[] : [dateNow];
      const firstTimestamp = sorted[0];
      const maxTimestamp = sorted[sorted.length - 1];
      const records: Buffer[] = new Array<Buffer>(messages.length);
      let bytes = 0;
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i];
        scratch.key = m.key;
        scratch.value = m.value;
        scratch.headers = m.headers;
        scratch.offsetDelta = i;
        scratch.timestampDelta = stamped ? ((m.timestamp || dateNow) as number) - (firstTimestamp as number) : 0;
        const record = kernel.record(scratch);
        records[i] = record;
        bytes += record.length;
      }
      const bodyLength = BATCH_BODY_HEADER + bytes;
      // partition, recordBatch.size(), firstOffset, batch length, leader epoch, magic, crc, body
      total += 4 + 4 + 8 + 4 + 4 + 1 + 4 + bodyLength;
      return { partition, firstSequence: firstSequence === undefined ? 0 : firstSequence, firstTimestamp, maxTimestamp, records, bodyLength };
    });
  });
  const out = new kernel.Encoder(total);
  out.writeString(transactionalId).writeInt16(acks).writeInt32(timeout).writeInt32(topicData.length);
  for (let t = 0; t < topicData.length; t++) {
    out.writeString(topicData[t].topic).writeInt32(topics[t].length);
    for (const p of topics[t]) {
      const batchLength = 4 + 1 + 4 + p.bodyLength;
      out.writeInt32(p.partition).writeInt32(8 + 4 + batchLength).writeInt64(0).writeInt32(batchLength).writeInt32(0).writeInt8(MAGIC_BYTE);
      const crcAt = out.offset;
      out.writeUInt32(0);
      const bodyAt = out.offset;
      out.writeInt16(attributes).writeInt32(p.records.length - 1).writeInt64(p.firstTimestamp).writeInt64(p.maxTimestamp)
        .writeInt64(producerId).writeInt16(producerEpoch).writeInt32(p.firstSequence).writeInt32(p.records.length);
      for (const record of p.records) out.offset += record.copy(out.buf, out.offset);
      out.buf.writeUInt32BE(kernel.crc32C(out.buf.subarray(bodyAt, out.offset)), crcAt);
    }
  }
  return out;
}

const installed = install();

/** Whether the fast paths are in use (and why not), with counters. */
export const kafkajsFastPaths: KafkajsFastPaths = installed.status;

/** kafkajs' own record encoder (for tests comparing bytes); undefined when the fast paths are not installed. */
export const kafkajsRecordEncoder: RecordEncoder | undefined = installed.originalRecord;

const kafkajs = require('kafkajs') as typeof KafkaJs;

export const { Kafka, logLevel, CompressionTypes, Partitioners, AssignerProtocol } = kafkajs;
export type Kafka = KafkaJs.Kafka;
