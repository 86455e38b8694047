/**
 * Fast line handling for archive CSVs. The parser reads bytes: {@link readLinePieces} hands out pieces of the
 * inflated stream that hold whole lines only, each ending with `\n` (one is appended to a last line without
 * it), so rows are parsed in place with no decoding and no bounds tests. A line split across two chunks is
 * joined into a piece of its own (a copy of that one line, not of the chunk). The text readers
 * ({@link readLineChunks}, {@link readLines}) decode UTF-8 once per chunk (split multi-byte sequences kept
 * whole) for callers that want strings. Memory: one chunk plus one partial line.
 */
import { Buffer } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';

const NEWLINE = Buffer.from('\n');

/**
 * Yields a byte stream in pieces that hold whole lines only, each ending just after a `\n`; a last line
 * without one gets one appended. Splitting at the byte 0x0A is exact for UTF-8 (no multi-byte sequence holds
 * it). The pieces are views of the chunks (no copy) except a line split across chunks, which is joined.
 * A line split across chunks that grows past `maxLineBytes` is not buffered further: `tooLong()` is thrown
 * (lines within one chunk are the caller's to measure). Memory: one chunk plus at most `maxLineBytes`.
 */
export async function* readLinePieces(chunks: AsyncIterable<Buffer | string>, maxLineBytes = Infinity, tooLong?: () => Error): AsyncGenerator<Buffer> {
  let carry: Buffer[] = [];
  let carried = 0;
  for await (const raw of chunks) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    const last = chunk.lastIndexOf(10);
    if (last < 0) {
      carried += chunk.length;
      if (carried > maxLineBytes) throw tooLong?.() ?? new RangeError(`a line is longer than ${maxLineBytes} bytes`);
      if (chunk.length > 0) carry.push(chunk);
      continue;
    }
    let from = 0;
    if (carry.length > 0) {
      from = chunk.indexOf(10) + 1;
      carry.push(chunk.subarray(0, from));
      yield Buffer.concat(carry);
      carry = [];
    }
    if (from <= last) yield chunk.subarray(from, last + 1);
    carried = chunk.length - last - 1;
    if (carried > 0) carry.push(chunk.subarray(last + 1));
  }
  if (carry.length > 0) { carry.push(NEWLINE); yield Buffer.concat(carry); }
}

/**
 * Yields the text of a byte stream in pieces that hold whole lines only (each piece ends just after a
 * `\n`, except a last line without one), so rows can be parsed in place inside the piece.
 */
export async function* readLineChunks(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  for await (const chunk of chunks) {
    const text = carry + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
    const last = text.lastIndexOf('\n');
    if (last < 0) { carry = text; continue; }
    carry = text.slice(last + 1);
    yield last + 1 === text.length ? text : text.slice(0, last + 1);
  }
  const rest = carry + decoder.end();
  if (rest.length > 0) yield rest;
}

/** Yields the lines (without `\n` or a trailing `\r`) of a byte stream, one array per piece. */
export async function* readLines(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string[]> {
  for await (const text of readLineChunks(chunks)) {
    const lines: string[] = [];
    for (let start = 0; start < text.length;) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      lines.push(text.slice(start, end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end));
      start = end + 1;
    }
    yield lines;
  }
}

/** True when a first line (at `start` of `text` or of its bytes) is a header: its first character is neither a digit nor a minus sign. */
export function isHeaderLine(text: string | Buffer, start = 0): boolean {
  const c = typeof text === 'string' ? text.charCodeAt(start) : text[start];
  return !(c >= 48 && c <= 57) && c !== 45;
}

