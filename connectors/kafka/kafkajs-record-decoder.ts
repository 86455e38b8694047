/**
 * kafkajs' decoder of one consumed record (`protocol/recordBatch/record/v0/decoder`), with the same result at
 * a fraction of the cost: kafkajs reads the timestamp delta as a Long (one Long per byte), parses the batch's
 * first offset and first timestamp from their decimal strings again for every record (`Long.fromValue`), adds
 * in Long arithmetic and prints the sums back. Here the batch's bases are parsed once per batch, the delta is
 * read as a number, and the sums are printed from numbers — the same decimal strings wherever every value is a
 * safe integer. Anything else (a base or sum beyond 2^53, a timestamp delta beyond 7 bytes, headers) goes to
 * kafkajs' own decoder from the record's first byte. Installed by kafkajs.ts, which loads kafkajs.
 */

/** kafkajs' `Decoder`, as far as a record's decoding uses it. */
export interface KafkajsDecoder {
  readonly buffer: Buffer;
  offset: number;
  readInt8(): number;
  readVarInt(): number;
  readVarIntBytes(): Buffer | null;
}

/** The record batch's fields that kafkajs hands to each record's decoder. */
export interface RecordBatchContext {
  readonly firstOffset: string;
  readonly firstTimestamp: string;
  readonly maxTimestamp?: string;
  readonly timestampType?: number;
  readonly magicByte?: number;
  readonly isControlBatch?: boolean;
}

/** One consumed record, as kafkajs' decoder returns it. */
export interface DecodedRecord {
  readonly magicByte: number | undefined;
  readonly attributes: number;
  readonly timestamp: string;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, unknown>;
  readonly isControlRecord: boolean;
  readonly batchContext: RecordBatchContext;
}

export type RecordDecoder = (decoder: KafkajsDecoder, batchContext?: RecordBatchContext) => DecodedRecord;

/** kafkajs' `TimestampTypes.LOG_APPEND_TIME`. */
const LOG_APPEND_TIME = 1;

/** A decimal string as a number when that is exact (a safe integer printed the same way back), else NaN. */
function exactNumber(text: string): number {
  const value = Number(text);
  return Number.isSafeInteger(value) && String(value) === text ? value : NaN;
}

/** A zigzag varlong of at most 7 bytes (exact in float arithmetic), moving the decoder past it; else undefined. */
function readSmallVarLong(decoder: KafkajsDecoder): number | undefined {
  const buffer = decoder.buffer;
  let at = decoder.offset;
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 7 && at < buffer.length; i++) {
    const byte = buffer[at++];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      decoder.offset = at;
      return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    }
    scale *= 128;
  }
  return undefined;
}

/** The decoder with kafkajs' `original` as its fallback; `counted` is called per record it decodes itself. */
export function kafkajsRecordDecoder(original: RecordDecoder, counted: () => void = () => undefined): RecordDecoder {
  let context: RecordBatchContext | undefined;
  let offsetBase = NaN;
  let timestampBase = NaN;
  return (decoder, batchContext = {} as RecordBatchContext) => {
    if (batchContext !== context) {
      context = batchContext;
      offsetBase = typeof batchContext.firstOffset === 'string' ? exactNumber(batchContext.firstOffset) : NaN;
      timestampBase = typeof batchContext.firstTimestamp === 'string' ? exactNumber(batchContext.firstTimestamp) : NaN;
    }
    const start = decoder.offset;
    const attributes = decoder.readInt8();
    const timestampDelta = readSmallVarLong(decoder);
    const offsetDelta = timestampDelta === undefined ? 0 : decoder.readVarInt();
    const { maxTimestamp } = batchContext;
    const appendTime = batchContext.timestampType === LOG_APPEND_TIME && maxTimestamp !== undefined && maxTimestamp !== '';
    const timestamp = timestampBase + (timestampDelta ?? NaN);
    const offset = offsetBase + offsetDelta;
    if (timestampDelta === undefined || !Number.isSafeInteger(offset) || (!appendTime && !Number.isSafeInteger(timestamp))) {
      decoder.offset = start;
      return original(decoder, batchContext);
    }
    const key = decoder.readVarIntBytes();
    const value = decoder.readVarIntBytes();
    const headers = decoder.readVarInt();
    if (headers !== 0 && headers !== -1) {
      decoder.offset = start;
      return original(decoder, batchContext);
    }
    counted();
    return {
      magicByte: batchContext.magicByte, attributes, timestamp: appendTime ? maxTimestamp : String(timestamp), offset: String(offset),
      key, value, headers: {}, isControlRecord: batchContext.isControlBatch ?? false, batchContext,
    };
  };
}
