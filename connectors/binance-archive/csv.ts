/**
 * Fast line splitting for archive CSVs: decodes each chunk once (UTF-8, split multi-byte sequences kept
 * whole), cuts it at `\n` with `indexOf` (no regex per row), strips a trailing `\r`, and carries the partial
 * last line into the next chunk. Yields the lines of each chunk as one array, so the per-line cost is a
 * slice and the async overhead is per chunk. Memory: one chunk plus one partial line.
 */
import { StringDecoder } from 'node:string_decoder';

/** Yields the lines of a byte stream, chunk by chunk; a final line without `\n` is yielded too. */
export async function* readLines(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  for await (const chunk of chunks) {
    const text = carry + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
    const lines: string[] = [];
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
      lines.push(text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end));
      start = end + 1;
    }
    carry = text.slice(start);
    if (lines.length > 0) yield lines;
  }
  const rest = carry + decoder.end();
  if (rest.length > 0) yield [rest.endsWith('\r') ? rest.slice(0, -1) : rest];
}

/** True when a first line is a header: its first character is neither a digit nor a minus sign. */
export function isHeaderLine(line: string): boolean {
  const c = line.charCodeAt(0);
  return !(c >= 48 && c <= 57) && c !== 45;
}

/**
 * Splits a CSV line at commas into `out` (reused across rows, so no array is allocated per row) and returns
 * it. Archive CSVs have no quoting; callers must not keep `out` beyond the row.
 */
export function splitCells(line: string, out: string[]): string[] {
  let start = 0;
  let i = 0;
  for (let comma = line.indexOf(','); comma >= 0; comma = line.indexOf(',', start)) {
    out[i++] = line.slice(start, comma);
    start = comma + 1;
  }
  out[i++] = line.slice(start);
  out.length = i;
  return out;
}
