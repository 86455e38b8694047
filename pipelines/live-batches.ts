/**
 * Cuts a live record stream into sink batches: every `windowMs` or `maxRows` records (`bufferTime`), one
 * {@link RecordBatch} per stream key and kind, with a deterministic unit id built from the stream and the
 * first and last sequence numbers in it, the count and the highest version
 * (`ws:binance.spot.trade.BTCUSDT:1200-1450#251.v13194139533312`), so that the same records always make the
 * same batch (a retried write replaces its file instead of duplicating it) while a later update of the same
 * keys (a kline's next tick, a gap's `filled` report) never overwrites the earlier batch.
 */
import { bufferTime, concatMap, defer, from, type OperatorFunction } from 'rxjs';
import type { RecordBatch } from '../connectors/sink.js';
import { cachedStreamKeyOf } from '../operators/stream-key-cache.js';
import { streamKeyOf } from '../schemas/identity.js';
import type { AnyRecord } from '../schemas/records.js';

/** Options of {@link toLiveBatches}. */
export interface LiveBatchOptions {
  /** Longest a record waits for its batch, ms. @default 1000 */
  readonly windowMs?: number;
  /** Records per batch window at most. @default 10000 */
  readonly maxRows?: number;
}

/** The sequence number of a record within its stream (ids where the kind has them, else event time). */
export function sequenceOf(record: AnyRecord): number {
  switch (record.kind) {
    case 'trade': return record.tradeId;
    case 'aggTrade': return record.aggTradeId;
    case 'bookTicker': return record.updateId;
    case 'depthUpdate': case 'bookSnapshot': return record.finalUpdateId;
    case 'gap': return record.fromUs;
    default: return record.eventTimeUs;
  }
}

/**
 * Groups one buffer into batches per (kind, stream key), in first-arrival order. `keyOf` must return
 * `streamKeyOf`'s key (a cached one builds no string per record).
 */
export function batchesOf(records: readonly AnyRecord[], keyOf: (record: AnyRecord) => string = streamKeyOf): RecordBatch[] {
  const groups = new Map<string, AnyRecord[]>();
  for (const record of records) {
    // Stream keys name their kind, except a gap's (the key of the stream it is a gap in).
    const key = record.kind === 'gap' ? `gap|${record.stream}` : keyOf(record);
    const list = groups.get(key);
    if (list === undefined) groups.set(key, [record]); else list.push(record);
  }
  return [...groups.values()].map((list) => {
    const first = list[0];
    const stream = first.kind === 'deadLetter' ? `${first.market}.deadLetter.${first.ingestId}` : streamKeyOf(first);
    let version = 0;
    for (const record of list) if (record.version > version) version = record.version;
    const unitId = `ws:${first.kind === 'gap' ? `gap.${stream}` : stream}:${sequenceOf(first)}-${sequenceOf(list[list.length - 1])}#${list.length}.v${version}`;
    return { kind: first.kind, unitId, records: list };
  });
}

/** Buffers live records by time and rows and emits their batches. */
export function toLiveBatches(options: LiveBatchOptions = {}): OperatorFunction<AnyRecord, RecordBatch> {
  return (records) => defer(() => {
    const keyOf = cachedStreamKeyOf();
    return records.pipe(
      bufferTime(options.windowMs ?? 1000, null, options.maxRows ?? 10_000),
      concatMap((buffer) => from(batchesOf(buffer, keyOf))),
    );
  });
}
