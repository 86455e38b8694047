/**
 * Deterministic sample records of every kind, generated from the field tables, for sink tests: variant 0 fills
 * every nullable field, variant 1 leaves them null; strings carry tabs, newlines, quotes, backslashes and
 * non-ASCII text so that escaping bugs show; longs are large (up to 2^53 − 1) so that precision bugs show (ids above 2^52; Avro longs in avsc stop at 2^53 − 2).
 */
import { KINDS, type AnyRecord, type KindName } from '../../schemas/records.js';
import type { FieldSpec } from '../../schemas/fields.js';

const BASE_TIME_US = 1_751_328_000_123_456; // 2025-07-01T00:00:00.123456Z

function stringValue(field: FieldSpec, kind: KindName, i: number): string {
  if (field.enum !== undefined) return field.enum[i % field.enum.length];
  switch (field.name) {
    case 'symbol': return i % 2 === 0 ? 'BTCUSDT' : 'ETHUSDT';
    case 'interval': return '1m';
    case 'stream': return `binance.spot.trade.BTCUSDT.${i}`;
    case 'dataType': return 'trade';
    case 'ingestId': return `md.binance.spot.${kind}/0/${i}`;
    default: return `v${i} tab\there "dq" 'sq' back\\slash\nnewline é€😀`;
  }
}

function valueOf(field: FieldSpec, kind: KindName, i: number, variant: number): unknown {
  if (field.nullable === true && variant % 2 === 1) return null;
  switch (field.type) {
    case 'string': return stringValue(field, kind, i);
    case 'long':
      if (field.name === 'eventTimeUs' || field.name.endsWith('TimeUs') || field.name.endsWith('Us')) return BASE_TIME_US + i * 60_000_000;
      if (field.name === 'version') return 2 ** 47 - 1 - i; // the top of makeVersion's range
      return 4_503_599_627_370_496 + i * 3;
    case 'int': return 7 + i;
    case 'double': return [0.1, 123456.789, 1e-8, -42.5, 3e20][i % 5];
    case 'boolean': return i % 2 === 0;
    case 'doubleArray': return i % 3 === 2 ? [] : [1.5, 2, 1e-8, 65432.1];
  }
}

/** One sample record of `kind`: `i` varies values and keys; odd `variant`s set every nullable field to null. */
export function sampleRecord<K extends KindName>(kind: K, i = 0, variant = 0): Extract<AnyRecord, { kind: K }> {
  const record: Record<string, unknown> = { kind };
  for (const field of KINDS[kind].fields) record[field.name] = valueOf(field, kind, i, variant);
  if (kind === 'kline') record.eventTimeUs = record.openTimeUs;
  return record as Extract<AnyRecord, { kind: K }>;
}

/** `count` sample records of `kind` with distinct identity keys, alternating filled and null variants. */
export function sampleRecords<K extends KindName>(kind: K, count: number): Extract<AnyRecord, { kind: K }>[] {
  return Array.from({ length: count }, (_, i) => sampleRecord(kind, i, i));
}
