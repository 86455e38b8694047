/**
 * The Parquet lake sink's early encoding (connectors/sink.ts `SinkEncoding`): records mapped onto the lake's
 * column buffers, cell by cell, as they are parsed (lake-columns.ts). The lake keeps every column, so a staged
 * file's constants are not left out.
 */
import type { SinkEncoding } from '../sink.js';
import { LakeColumnsBuilder } from './lake-columns.js';
import type { ParquetColumnRows } from './parquet-column-rows.js';

/** The lake's column buffers. */
export const parquetColumnsEncoding: SinkEncoding<ParquetColumnRows> = {
  format: 'ParquetColumns',
  encoderFor: (kind) => (kind === 'deadLetter' || kind === 'gap' ? null : new LakeColumnsBuilder(kind)),
};
