/**
 * Reads records of one lake type back out of the Parquet lake, streamed through DuckDB in chunks (memory stays
 * bounded by the chunk, not the result), converted to records with the kind's field table (BIGINT → number,
 * exact below 2^53). One record per identity key, the highest version (a live or resampled copy of an archive row
 * is in the lake beside it), as `lakehouse query` shows by default. Cold: DuckDB opens on subscription and closes
 * on teardown or completion.
 */
import { resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Observable } from 'rxjs';
import type { FieldSpec } from '../../schemas/fields.js';
import { KINDS, type AnyRecord, type KindName } from '../../schemas/records.js';
import { isS3Url } from '../s3/s3-url.js';
import { createLakeViews, lakeTypesIn, quoteDuckIdentifier, quoteDuckString } from './query-lake.js';

/** Options of {@link fromParquetLake}. */
export interface FromParquetLakeOptions {
  /** Lake root (a local directory). */
  readonly root: string;
  /** Lake type, e.g. `klines_1m`, `trades`. */
  readonly type: string;
  /** Record kind stored under that type. */
  readonly kind: KindName;
  /** Only this symbol. */
  readonly symbol?: string;
  /** Only this market. */
  readonly market?: string;
  /** Event time range `[fromUs, toUs)`. */
  readonly range?: { readonly fromUs: number; readonly toUs: number };
  /** Sort column(s), e.g. `openTimeUs` or `tradeId`. @default 'eventTimeUs' */
  readonly orderBy?: string;
}

/** A DuckDB value (yieldRowObjectJs: BIGINT as bigint) as the record field holds it (longs as numbers, exact below 2^53). */
export function fieldValueOf(value: unknown, field: FieldSpec): unknown {
  if (value === null || value === undefined) return null;
  switch (field.type) {
    case 'long': case 'int': case 'double': return Number(value);
    case 'boolean': return Boolean(value);
    case 'doubleArray': return (value as unknown[]).map(Number);
    case 'string': return String(value);
  }
}

/** The SQL that selects the requested rows (exported for tests). */
export function lakeSelectSql(options: FromParquetLakeOptions): string {
  const where: string[] = [];
  if (options.symbol !== undefined) where.push(`symbol = ${quoteDuckString(options.symbol)}`);
  if (options.market !== undefined) where.push(`market = ${quoteDuckString(options.market)}`);
  if (options.range !== undefined) where.push(`eventTimeUs >= ${Math.floor(options.range.fromUs)} AND eventTimeUs < ${Math.floor(options.range.toUs)}`);
  const fields = (KINDS[options.kind].fields as readonly FieldSpec[]).map((f) => quoteDuckIdentifier(f.name)).join(', ');
  const order = (options.orderBy ?? 'eventTimeUs').split(',').map((c) => quoteDuckIdentifier(c.trim())).join(', ');
  return `SELECT ${fields} FROM ${quoteDuckIdentifier(options.type)}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order}`;
}

/** Streams the matching records; an absent lake type yields nothing. */
export function fromParquetLake(options: FromParquetLakeOptions): Observable<AnyRecord> {
  return new Observable<AnyRecord>((subscriber) => {
    let closed = false;
    const fields = KINDS[options.kind].fields as readonly FieldSpec[];
    const run = async (): Promise<void> => {
      if (isS3Url(options.root)) throw new TypeError('fromParquetLake reads local lakes only');
      const root = resolve(options.root);
      if (!(await lakeTypesIn(root)).includes(options.type)) return;
      const instance = await DuckDBInstance.create(':memory:');
      const connection = await instance.connect();
      try {
        await createLakeViews(connection, root, [options.type], { latestOnly: true });
        const result = await connection.stream(lakeSelectSql(options));
        for await (const rows of result.yieldRowObjectJs()) {
          for (const row of rows) {
            if (closed) return;
            const record: Record<string, unknown> = { kind: options.kind };
            for (const field of fields) record[field.name] = fieldValueOf(row[field.name], field);
            subscriber.next(record as AnyRecord);
          }
        }
      } finally {
        connection.closeSync();
        instance.closeSync();
      }
    };
    run().then(() => subscriber.complete(), (error: unknown) => subscriber.error(error));
    return () => { closed = true; };
  });
}
