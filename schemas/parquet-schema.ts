/**
 * Derives the Parquet column layout of a kind. Kept free of any Parquet library: connectors/parquet maps it
 * onto its writer. Integers (µs times, ids, version) are plain INT64 so DuckDB, pyarrow and ClickHouse all
 * read them as 64-bit integers; strings are UTF8; arrays are LIST<DOUBLE>.
 */
import type { FieldSpec } from './fields.js';
import type { KindSpec } from './records.js';

export type ParquetPhysical = 'INT64' | 'INT32' | 'DOUBLE' | 'BOOLEAN' | 'UTF8' | 'LIST<DOUBLE>';

/** One Parquet column. */
export interface ParquetColumn {
  readonly name: string;
  readonly type: ParquetPhysical;
  readonly optional: boolean;
  /** Dictionary-encode (low-cardinality strings). */
  readonly dictionary: boolean;
}

function physicalOf(field: FieldSpec): ParquetPhysical {
  switch (field.type) {
    case 'string': return 'UTF8';
    case 'long': return 'INT64';
    case 'int': return 'INT32';
    case 'double': return 'DOUBLE';
    case 'boolean': return 'BOOLEAN';
    case 'doubleArray': return 'LIST<DOUBLE>';
  }
}

/** The Parquet columns of a kind, in field-table order. */
export function parquetColumnsOf(spec: KindSpec): ParquetColumn[] {
  return spec.fields.map((field) => ({
    name: field.name,
    type: physicalOf(field),
    optional: field.nullable === true,
    dictionary: field.type === 'string' && (field.enum !== undefined || field.name === 'symbol' || field.name === 'interval'),
  }));
}
