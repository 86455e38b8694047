/**
 * The contract between pipelines and sinks. Pipelines cut records into {@link RecordBatch}es, each tied to a
 * deterministic input unit (an archive file part, a Kafka poll), so that a retried batch replaces instead of
 * duplicating (Parquet file names, ClickHouse insert dedup tokens, Kafka idempotent producer). A sink is an
 * RxJS operator from batches to {@link WriteAck}s; pipelines commit progress (manifest, Kafka offsets) only
 * after every sink acknowledged a batch.
 */
import type { AnyRecord, KindName } from '../schemas/records.js';

/** Records of one kind from one input unit. */
export interface RecordBatch<R extends AnyRecord = AnyRecord> {
  /** The record kind; every record in `records` has it. */
  readonly kind: KindName;
  /**
   * Deterministic id of the input unit and part, e.g. `data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2025-07-01.zip#0`.
   * The same input must yield the same unit ids and the same records.
   */
  readonly unitId: string;
  readonly records: readonly R[];
}

/** A sink's acknowledgement of one batch. */
export interface WriteAck {
  readonly sink: string;
  readonly unitId: string;
  readonly kind: KindName;
  readonly rows: number;
  /** Where it went: a file path or URL, a table, a topic. */
  readonly target: string;
  /**
   * When the sink received the service's acknowledgement (the broker's produce response), ms on the
   * `performance.timeOrigin + performance.now()` clock, which every thread of the process shares. A sink on
   * another thread stamps it there, so the time does not include the wait for the owner's event loop.
   * Absent when the sink does not stamp its acks.
   */
  readonly ackedAtMs?: number;
}

/** Splits records into one batch per kind, in first-seen kind order, keeping input order within a kind. */
export function batchesByKind(records: readonly AnyRecord[], unitIdOf: (kind: KindName) => string): RecordBatch[] {
  const byKind = new Map<KindName, AnyRecord[]>();
  for (const record of records) {
    const list = byKind.get(record.kind);
    if (list === undefined) byKind.set(record.kind, [record]); else list.push(record);
  }
  return [...byKind].map(([kind, list]) => ({ kind, unitId: unitIdOf(kind), records: list }));
}
