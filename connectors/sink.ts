/**
 * The contract between pipelines and sinks. Pipelines cut records into {@link RecordBatch}es, each tied to a
 * deterministic input unit (an archive file part, a Kafka poll), so that a retried batch replaces instead of
 * duplicating (Parquet file names, ClickHouse insert dedup tokens, Kafka idempotent producer). A sink is an
 * RxJS operator from batches to {@link WriteAck}s; pipelines commit progress (manifest, Kafka offsets) only
 * after every sink acknowledged a batch.
 */
import { SinkWriteError } from '../schemas/errors.js';
import type { AnyRecord, KindName } from '../schemas/records.js';

/** Records of one kind from one input unit. */
export interface RecordBatch<R extends AnyRecord = AnyRecord> {
  /** The record kind; every record in `records` has it. */
  readonly kind: KindName;
  /**
   * Deterministic id of the input unit and part, e.g. `data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2025-07-01.zip#0`.
   * The same input must yield the same unit ids and the same records, and one unit id always the same records
   * (sinks replace or drop a unit they saw: the lake's part names, ClickHouse insert dedup tokens).
   */
  readonly unitId: string;
  readonly records: readonly R[];
  /**
   * The batch's rows already encoded for the one sink that will write them (early encoding, see
   * {@link EncodedRows}); `records` is then empty. Only a pipeline whose only sink takes this encoding makes
   * such batches, and a sink that does not take it fails on one ({@link recordsOf}) instead of writing nothing.
   */
  readonly encoded?: EncodedRows;
  /**
   * The batch belongs to a staged unit (see {@link Stage}): its rows stay invisible until the unit's `commit`
   * batch is acknowledged, and are dropped by an `abort` batch. Only sinks that stage (ClickHouse) get such
   * batches; the others fail on one ({@link recordsOf}).
   */
  readonly stage?: Stage;
}

/**
 * A staged unit: a whole input (an archive file) written as it is parsed and made visible at once, only after
 * its end verified it (the zip's CRC-32 and size), so a file damaged anywhere leaves nothing behind without
 * being inflated twice. Its batches carry the same `id`; one last batch with `end` (no rows) commits or
 * aborts it, and its acknowledgement means the rows are visible (commit) or gone (abort). The id is
 * deterministic per input, so a rerun after a crash replaces what the crashed run had staged.
 */
export interface Stage {
  readonly id: string;
  readonly end?: 'commit' | 'abort';
}

/** The last batch of a staged unit (no rows): its commit, or its abort. Written only once every earlier batch of the unit was acknowledged. */
export function stageEndBatch(kind: KindName, stage: Stage, end: 'commit' | 'abort'): RecordBatch {
  return { kind, unitId: `${stage.id}#${end}`, records: [], stage: { id: stage.id, end } };
}

/**
 * Rows encoded as they were parsed, a few thousand at a time, for a pipeline with one sink (a backfill into a
 * ClickHouse server, or into the Parquet lake alone): records then live microseconds instead of waiting in a
 * batch for the sink, so the young-generation GC frees them instead of copying and promoting them. Validated
 * before encoding. Only the sink that takes `format` knows the rest of the shape (connectors/clickhouse
 * `RowBinaryRows`, connectors/parquet `ParquetColumnRows`); this contract names no sink.
 */
export interface EncodedRows {
  readonly format: string;
  readonly rows: number;
  /** Bytes the encoded rows hold (for memory budgets). */
  readonly bytes: number;
}

/** A sink's encoder of one input's records (early encoding): runs of records in, in order; their rows out, encoded. */
export interface RowsEncoder<E extends EncodedRows = EncodedRows> {
  add(records: readonly AnyRecord[]): void;
  /** The rows added since the last take, encoded. */
  take(): E;
}

/**
 * What a sink that takes its rows encoded offers the pipeline whose only sink it is: an encoder per input of a
 * kind (null for kinds it does not encode early: dead letters, gaps). `constants`, given for a staged input
 * only, are the string fields every one of its records has, which the encoder may leave out of the rows.
 */
export interface SinkEncoding<E extends EncodedRows = EncodedRows> {
  readonly format: E['format'];
  encoderFor(kind: KindName, constants: Readonly<Record<string, string>> | null): RowsEncoder<E> | null;
}

/** Rows in a batch, encoded or not. */
export function rowsOf(batch: RecordBatch): number {
  return batch.encoded === undefined ? batch.records.length : batch.encoded.rows;
}

/**
 * A batch's records, for a sink that writes records: an encoded batch (not meant for it) fails loudly, and so
 * does a staged one unless the sink stages (`stages`).
 */
export function recordsOf<R extends AnyRecord>(batch: RecordBatch<R>, sink: string, stages = false): readonly R[] {
  if (batch.encoded !== undefined) {
    throw new SinkWriteError(`the ${sink} sink cannot write batch ${batch.unitId}: its rows are already encoded as ${batch.encoded.format} for another sink`, { service: sink }, { retriable: false });
  }
  if (batch.stage !== undefined && !stages) {
    throw new SinkWriteError(`the ${sink} sink cannot write batch ${batch.unitId}: it belongs to staged unit ${batch.stage.id}, and this sink does not stage`, { service: sink }, { retriable: false });
  }
  return batch.records;
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
