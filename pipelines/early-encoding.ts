/**
 * Early encoding for a backfill whose only sink takes its rows encoded (connectors/sink.ts `SinkEncoding`: a
 * ClickHouse server's RowBinary, the Parquet lake's column buffers): each run of parsed records is validated and
 * encoded at once, so the records die young instead of waiting in a batch for the sink. The validation is the
 * sink path's (operators/validate.ts), the encoding the sink's own, so the rows written are the same.
 */
import type { EarlyEncoder } from '../connectors/binance-archive/from-binance-archive.js';
import type { EncodedRows, SinkEncoding } from '../connectors/sink.js';
import { recordValidator, splitRejected } from '../operators/validate.js';
import type { KindName } from '../schemas/records.js';

/** The early encoder of one file of a kind (`key`: the file's, for `onRejected`); null for kinds the sink does not encode early. */
export type EncoderFactory<E extends EncodedRows = EncodedRows> = (kind: KindName, constants: Readonly<Record<string, string>> | null, key?: string) => EarlyEncoder<E> | null;

/** Called with the rows the validation of one file's run rejected, and the file's key. */
export type OnRejected = (rows: number, key: string) => void;

/**
 * Per file, the sink's encoder behind a validation (unless `validate` is false): rejected records are returned
 * as dead letters and counted with `onRejected` under the file's `key`, the rest encoded.
 */
export function validatedEncoders<E extends EncodedRows>(encoding: SinkEncoding<E>, validate: boolean, onRejected: OnRejected): EncoderFactory<E> {
  return (kind, constants, key = '') => {
    const encoder = encoding.encoderFor(kind, constants);
    if (encoder === null) return null;
    const check = validate ? recordValidator() : null;
    let rows = 0;
    return {
      get rows() { return rows; },
      add(records) {
        const { kept, rejected } = check === null ? { kept: records, rejected: [] } : splitRejected(check(records));
        if (rejected.length > 0) onRejected(rejected.length, key);
        encoder.add(kept);
        rows += kept.length;
        return rejected;
      },
      take() {
        rows = 0;
        return encoder.take();
      },
    };
  };
}
