/** One column of every Parquet type the lake writes (nullable and required, one dictionary-encoded), for the encoder tests. */
import type { ParquetColumn } from '../../schemas/parquet-schema.js';

export const EVERY_TYPE_COLUMNS: ParquetColumn[] = [
  { name: 'n', type: 'INT64', optional: true, dictionary: false },
  { name: 'i', type: 'INT32', optional: false, dictionary: false },
  { name: 's', type: 'UTF8', optional: true, dictionary: true },
  { name: 'b', type: 'BOOLEAN', optional: true, dictionary: false },
  { name: 'd', type: 'DOUBLE', optional: false, dictionary: false },
  { name: 'l', type: 'LIST<DOUBLE>', optional: false, dictionary: false },
];
