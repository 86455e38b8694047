/**
 * Writing strings as UTF-8 into a caller's buffer, shared by the encoders that lay strings out themselves
 * (Parquet column buffers, ClickHouse RowBinary).
 */

/**
 * Writes `value` as UTF-8 at `at` and returns the bytes written; the caller has room for 3 bytes per UTF-16
 * unit. Short ASCII strings — symbols, markets, sources, lineage ids, the bulk of market data — are copied
 * byte by byte, which is cheaper than the native encoder's call; anything else goes to `Buffer#write`.
 */
export function writeUtf8(data: Buffer, at: number, value: string): number {
  const length = value.length;
  if (length > 64) return data.write(value, at, 'utf8');
  for (let j = 0; j < length; j++) {
    const code = value.charCodeAt(j);
    if (code >= 0x80) return data.write(value, at, 'utf8');
    data[at + j] = code;
  }
  return length;
}
