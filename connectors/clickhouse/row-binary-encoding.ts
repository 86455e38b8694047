/**
 * The ClickHouse sink's early encoding (connectors/sink.ts `SinkEncoding`): records into RowBinary as they are
 * parsed, with the sink's own field tables (map-row-binary.ts), so the bytes are those the sink would write. A
 * staged file's constant string fields are left out of the rows and named in `RowBinaryRows.constants`: its
 * staging table takes them as column defaults.
 */
import type { RowsEncoder, SinkEncoding } from '../sink.js';
import { KINDS } from '../../schemas/records.js';
import { RowBinaryEncoder } from './map-row-binary.js';
import type { RowBinaryRows } from './row-binary-rows.js';

/** Rows per chunk of an encoded batch: the encoder's reused buffer stays near 1 MB. */
const ROWS_PER_CHUNK = 8192;

/** RowBinary for a ClickHouse server (not embedded chdb, which reads bodies as text). */
export const rowBinaryEncoding: SinkEncoding<RowBinaryRows> = {
  format: 'RowBinary',
  encoderFor(kind, constants): RowsEncoder<RowBinaryRows> | null {
    if (kind === 'deadLetter' || kind === 'gap') return null;
    const encoder = new RowBinaryEncoder(KINDS[kind].fields, undefined, constants ?? {});
    let chunks: Buffer[] = [];
    let rows = 0;
    return {
      add(records) {
        encoder.add(records as unknown as readonly Readonly<Record<string, unknown>>[]);
        rows += records.length;
        if (encoder.rows >= ROWS_PER_CHUNK) chunks.push(encoder.take());
      },
      take() {
        if (encoder.rows > 0) chunks.push(encoder.take());
        const bytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
        const encoded: RowBinaryRows = constants === null ? { format: 'RowBinary', rows, bytes, chunks } : { format: 'RowBinary', rows, bytes, chunks, constants };
        chunks = [];
        rows = 0;
        return encoded;
      },
    };
  },
};
