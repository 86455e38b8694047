/**
 * The Parquet lake sink: `RecordBatch` → `WriteAck`. Each batch is split into Hive cells
 * (exchange, market, type, symbol, UTC date of eventTimeUs); each cell becomes one complete Parquet file named
 * from the batch's unit id, so a replayed batch replaces its files instead of duplicating rows.
 *
 * Batches are written one after another (`concatMap`); memory is one batch plus its encoded files.
 * Retriable write errors are retried with connectors/backoff.ts; the stream errors with the last error after
 * that. Unsubscribing aborts an in-flight S3 upload; a local write already renamed stays complete.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { Observable, concatMap, defer, from, type OperatorFunction } from 'rxjs';
import { retry, type BackoffOptions } from '../backoff.js';
import type { RecordBatch, WriteAck } from '../sink.js';
import { parquetColumnsOf } from '../../schemas/parquet-schema.js';
import { KINDS, type AnyRecord } from '../../schemas/records.js';
import { createS3Client, type S3Config } from '../s3/config.js';
import { encodeParquet } from './encode-parquet.js';
import { lakeStoreFor, type LakeStore } from './lake-store.js';
import { cachedPartitionPathOf, partNameOf } from './lake-path.js';

/** Options of {@link toParquetLake}. */
export interface ParquetLakeOptions {
  /** A local directory or `s3://bucket/prefix`. */
  readonly root: string;
  /** S3 settings when `root` is on S3 (a client is created per subscription and destroyed on teardown). */
  readonly s3?: S3Config;
  /** An existing S3 client to use instead of `s3` (not destroyed by the sink). */
  readonly s3Client?: S3Client;
  /** Rows per Parquet row group. @default 131072 */
  readonly maxRowGroupRows?: number;
  /** Retry policy for failed writes. @default backoff.ts defaults */
  readonly retry?: BackoffOptions;
}

/** Groups a batch's records by partition directory, keeping input order within a cell. */
export function cellsOf(records: readonly AnyRecord[]): Map<string, AnyRecord[]> {
  const cells = new Map<string, AnyRecord[]>();
  const partitionPathOf = cachedPartitionPathOf();
  for (const record of records) {
    const path = partitionPathOf(record);
    const cell = cells.get(path);
    if (cell === undefined) cells.set(path, [record]);
    else cell.push(record);
  }
  return cells;
}

async function writeBatch(store: LakeStore, batch: RecordBatch, options: ParquetLakeOptions, signal: AbortSignal): Promise<WriteAck> {
  const columns = parquetColumnsOf(KINDS[batch.kind]);
  const part = partNameOf(batch.unitId);
  const files: string[] = [];
  for (const [cell, records] of cellsOf(batch.records)) {
    const bytes = encodeParquet(records as unknown as Record<string, unknown>[], columns, {
      ...(options.maxRowGroupRows === undefined ? {} : { maxRowGroupRows: options.maxRowGroupRows }),
    });
    const target = await retry(() => store.write(`${cell}/${part}`, bytes, signal), { ...options.retry, signal });
    files.push(target);
  }
  const target = files.length === 1 ? files[0] : `${store.root} (${files.length} files)`;
  return { sink: 'parquet', unitId: batch.unitId, kind: batch.kind, rows: batch.records.length, target };
}

/** Writes each batch into the lake and emits one acknowledgement per batch, in order. */
export function toParquetLake(options: ParquetLakeOptions): OperatorFunction<RecordBatch, WriteAck> {
  return (batches) => defer(() => {
    const ownsClient = options.s3Client === undefined && options.s3 !== undefined;
    const client = options.s3Client ?? (options.s3 === undefined ? undefined : createS3Client(options.s3));
    const store = lakeStoreFor(options.root, client);
    const abort = new AbortController();
    return new Observable<WriteAck>((subscriber) => {
      const subscription = batches
        .pipe(concatMap((batch) => from(writeBatch(store, batch, options, abort.signal))))
        .subscribe(subscriber);
      return () => {
        subscription.unsubscribe();
        abort.abort(new Error('toParquetLake unsubscribed'));
        if (ownsClient) client?.destroy();
      };
    });
  });
}
