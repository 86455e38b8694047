/**
 * Parses one verified archive zip into records, streaming: central directory → the CSV member → inflate →
 * pieces of whole lines (bytes, csv.ts) → the data type's row mapper, which reads each row in place through
 * one reused RowCursor. A UTF-8 byte order mark before line 1 is skipped (else a headerless file would lose its
 * first row to the header sniff); a header on line 1 is sniffed and skipped. A malformed row becomes a `deadLetter`
 * record (file, line, reason, raw line cut to {@link DEAD_LETTER_RAW_BYTES}) and the file continues. Order is not
 * an error: a row whose identity (trade / aggTrade id, kline window, funding time, bookTicker update id) an earlier
 * row of the file has is not loaded again, wherever it appears — a verbatim repeat is counted as a duplicate, one
 * with other values goes to the DLQ (the first row wins); every other row is loaded, in or out of order
 * (row-identities.ts). Rows outside the file's own day (daily file) or month (monthly file), or outside the
 * requested days, are counted and not loaded. A line longer than `maxLineBytes`, or more than `maxDeadLetters`
 * rejected rows, fail the file (an error: the caller loads none of it). Memory: one inflated piece plus one chunk
 * of records, and the file's identities (row-identities.ts).
 */
import { finished } from 'node:stream/promises';
import type { AnyRecord, DeadLetterRecord, KindName } from '../../schemas/records.js';
import { ConnectorError, DecodeError } from '../../schemas/errors.js';
import { isHeaderLine, readLinePieces } from './csv.js';
import { IDENTITY, RowIdentities, rowAt, type Identity } from './row-identities.js';
import { RowCursor } from './row-cursor.js';
import { priceKindOf, rowMapperFor, type RowContext, type RowMapper } from './map-archive-row.js';
import type { ArchiveFile } from './plan.js';
import { openZipEntry, readZipDirectory, selectCsvEntry } from './unzip.js';

/** Counters of one parsed file. */
export interface ParseStats {
  /** Records produced (excluding dead letters). */
  rows: number;
  /** Rows rejected (dead letters): malformed, or conflicting repeats of an earlier row's identity. */
  deadLetters: number;
  /** Verbatim repeats of an earlier row of the file (not loaded, not rejected: the data is complete). */
  duplicates: number;
  /** Rows outside the file's own day or month, or outside the requested days (not loaded). */
  outOfRange: number;
  /** Line 1 was a header. */
  header: boolean;
  /** Non-blank lines besides the header: 0 for an empty or header-only file. */
  lines: number;
}

/** A run of records of one kind, cut at `batchRows`. */
export interface ParsedChunk {
  readonly kind: KindName;
  readonly records: AnyRecord[];
}

/**
 * Records per chunk by default: small, so that a consumer that takes each chunk at once (counts, encodes,
 * concatenates into a columnar batch) lets its records die in V8's young generation. Chunks of 20,000 records
 * outlive two scavenges while they fill and are promoted, which made old-space collections the largest single
 * cost of a parse (2.6 M 1s klines: a mark-compact every ~100 ms, 0.75–1.1 M rows/s; chunks of 2,048:
 * scavenges only, 1.4–1.6 M rows/s; 2 M trades 1.9 → 2.9 M rows/s).
 */
export const PARSE_CHUNK_ROWS = 2048;

/** Options of {@link parseArchiveFile}. */
export interface ParseOptions {
  readonly version: number;
  /** Records per chunk. @default {@link PARSE_CHUNK_ROWS} */
  readonly batchRows?: number;
  /**
   * Chunks of the file's kind also end at every multiple of this many of its records, so batches made of whole
   * chunks can end exactly there: the same record ranges as chunks of `cutEvery` records. @default none
   */
  readonly cutEvery?: number;
  /** Time stamped on dead letters (µs); deterministic per object. @default 0 */
  readonly rejectedAtUs?: number;
  /** A longer line fails the file (before it is buffered whole). @default {@link DEFAULT_MAX_LINE_BYTES} */
  readonly maxLineBytes?: number;
  /** More rejected rows than this fail the file as corrupt. @default {@link DEFAULT_MAX_DEAD_LETTERS} */
  readonly maxDeadLetters?: number;
}

/** Longest line of an archive CSV by default: real rows are under 300 bytes. */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
/** Rejected rows of one file by default, beyond which the file is not loaded at all. */
export const DEFAULT_MAX_DEAD_LETTERS = 10_000;
/** Bytes of a rejected row kept in its dead letter's `raw` (longer rows are cut, with a marker). */
export const DEAD_LETTER_RAW_BYTES = 1024;

function deadLetter(file: ArchiveFile, line: number, raw: string, reason: string, errorName: string, atUs: number): DeadLetterRecord {
  return {
    kind: 'deadLetter', exchange: 'binance', market: file.market, symbol: file.symbol, eventTimeUs: atUs,
    source: 'archive', receiveTimeUs: null, ingestId: `${file.key}#L${line}`, version: 0,
    errorName, reason: `${file.key} line ${line}: ${reason}`, raw, originFile: file.key, originLine: line,
  };
}

/** Kinds whose rows name their own symbol (options: the BVOL index, each EOH summary row's contract). */
const SYMBOL_PER_ROW: ReadonlySet<KindName> = new Set(['bvolIndex', 'eohSummary']);

/**
 * String fields every record parsed from `file` has with the same value, because the mappers take them from
 * the file's row context, not from its rows: exchange, source, market, `ingestId` (the object key) and, but
 * for the option kinds, the symbol. Dead letters excepted. An encoder may leave them out of each row.
 */
export function fileConstants(file: ArchiveFile): Readonly<Record<string, string>> {
  const constants: Record<string, string> = { exchange: 'binance', market: file.market, source: 'archive', ingestId: file.key };
  if (!SYMBOL_PER_ROW.has(file.kind)) constants.symbol = file.symbol;
  return constants;
}

/** The CSV member a zip must hold: the zip's own name with `.csv`. */
function csvNameOf(file: ArchiveFile): string {
  return file.key.slice(file.key.lastIndexOf('/') + 1).replace(/\.zip$/, '.csv');
}

/**
 * Inflates the CSV member once without parsing it and checks its CRC-32 and size, so a zip damaged anywhere
 * (even one matching its `.CHECKSUM`, i.e. damaged upstream, or loaded with --no-verify) fails before its first
 * row reaches a sink; with `maxLineBytes`, a line longer than that fails it too. Costs one extra native inflate
 * of the member (2 M trades, 161 MB: 0.6 s) and, with a limit, one search for each line's end; memory: one
 * chunk. Sinks that stage do without it: the parse's own inflate checks the same at the member's end, before
 * the file's stage is committed (from-binance-archive.ts).
 */
export async function checkArchiveZip(path: string, size: number, file: ArchiveFile, maxLineBytes = Infinity): Promise<void> {
  const entries = await readZipDirectory(path, size, file.key);
  const stream = await openZipEntry(path, selectCsvEntry(entries, csvNameOf(file), file.key), file.key);
  if (maxLineBytes === Infinity) {
    stream.resume();
    await finished(stream);
    return;
  }
  let length = 0; // of the current line so far
  let line = 1;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let from = 0;
    for (let end = chunk.indexOf(10); end >= 0; end = chunk.indexOf(10, from)) {
      const cr = end > from && chunk[end - 1] === 13 ? 1 : 0;
      if (length + end - from - cr > maxLineBytes) { stream.destroy(); throw lineTooLong(file, line, maxLineBytes); }
      length = 0; line++; from = end + 1;
    }
    length += chunk.length - from;
    if (length > maxLineBytes + 1) { stream.destroy(); throw lineTooLong(file, line, maxLineBytes); }
  }
}

/**
 * The per-row loop of one file, kept out of the async generator so that it is a small, stable function the
 * JIT optimizes early (a daily file is short) and that never sees the generator's paths.
 */
class RowParser {
  readonly stats: ParseStats = { rows: 0, deadLetters: 0, duplicates: 0, outOfRange: 0, header: false, lines: 0 };
  records: AnyRecord[] = [];
  dead: AnyRecord[] = [];
  private readonly cursor = new RowCursor();
  private readonly map: RowMapper;
  private readonly context: RowContext;
  private readonly identity: Identity | undefined;
  private readonly identities: RowIdentities | null;
  private readonly maxLineBytes: number;
  private readonly maxDeadLetters: number;
  lineNo = 0;

  /** Records of the current chunk at which `parse` stops. */
  limit: number;

  constructor(private readonly file: ArchiveFile, options: ParseOptions, batchRows: number, private readonly atUs: number) {
    this.limit = batchRows;
    this.map = rowMapperFor(file.dataType);
    this.context = {
      market: file.market, symbol: file.symbol, interval: file.interval, priceKind: priceKindOf(file.dataType),
      ingestId: file.key, version: options.version,
    };
    this.identity = IDENTITY[file.kind];
    this.identities = this.identity === undefined ? null : new RowIdentities(this.identity.dense);
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.maxDeadLetters = options.maxDeadLetters ?? DEFAULT_MAX_DEAD_LETTERS;
  }

  /** Parses the rows of `bytes` (whole lines) from `start` until it ends or a batch is full; returns where it stopped. */
  parse(bytes: Buffer, start: number): number {
    const { cursor, file, stats } = this;
    this.identities?.piece(bytes);
    while (start < bytes.length && this.records.length < this.limit) {
      const lineNo = ++this.lineNo;
      if (lineNo === 1 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf) start += 3;
      const first = bytes[start];
      if (first === 10) { start++; continue; }
      if (first === 13 && bytes[start + 1] === 10) { start += 2; continue; }
      const rowStart = start;
      cursor.reset(bytes, start);
      if (lineNo === 1 && isHeaderLine(bytes, start)) { stats.header = true; start = cursor.rowEnd(); this.checkLength(); continue; }
      stats.lines++;
      let record: AnyRecord;
      try {
        record = this.map(cursor, this.context);
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
        start = cursor.rowEnd();
        this.checkLength();
        this.reject(lineNo, error.message, error.name);
        continue;
      }
      start = cursor.rowEnd();
      this.checkLength();
      // A row outside the file's day (month) or the requested days is not loaded here: it would land in
      // another day's partition, and again when that day's own file is loaded.
      if (record.eventTimeUs < file.rangeStartUs || record.eventTimeUs >= file.rangeEndUs) { stats.outOfRange++; continue; }
      if (this.identities !== null && !this.isNew(record, bytes, rowStart, lineNo)) continue;
      this.records.push(record);
      stats.rows++;
    }
    return start;
  }

  /**
   * Records the row's identity; false when an earlier row of the file has it (the first row wins): a verbatim
   * repeat is counted as a duplicate, a repeat with other values (or one too far back to compare) is rejected.
   */
  private isNew(record: AnyRecord, bytes: Buffer, rowStart: number, lineNo: number): boolean {
    const identity = this.identity as Identity;
    const identities = this.identities as RowIdentities;
    const key = identity.key(record);
    if (Number.isNaN(key) || identities.add(key, rowStart, lineNo)) return true;
    const original = identities.original(key);
    const value = identity.value(record);
    if (original === null) {
      this.reject(lineNo, `duplicate row: ${identity.field} ${value} is already in an earlier row, too far back to compare; the earlier row is kept`, 'DuplicateRow');
    } else if (rowAt(original.bytes, original.start).equals(rowAt(bytes, rowStart))) {
      this.stats.duplicates++;
    } else {
      this.reject(lineNo, `conflicting duplicate: ${identity.field} ${value} is already at line ${original.line} with other values; line ${original.line} is kept`, 'DuplicateRow');
    }
    return false;
  }

  /** Fails the file when the current row is longer than the limit. */
  private checkLength(): void {
    if (this.cursor.rowBytes() > this.maxLineBytes) throw lineTooLong(this.file, this.lineNo, this.maxLineBytes);
  }

  private reject(lineNo: number, reason: string, errorName: string): void {
    if (++this.stats.deadLetters > this.maxDeadLetters) throw tooManyRejected(this.file, this.maxDeadLetters);
    this.dead.push(deadLetter(this.file, lineNo, this.cursor.raw(DEAD_LETTER_RAW_BYTES), reason, errorName, this.atUs));
  }
}

/** The error of a file with a line longer than `max` bytes: it is not loaded. */
function lineTooLong(file: ArchiveFile, line: number, max: number): ConnectorError {
  return new ConnectorError(`${file.key}: line ${line} is longer than ${max} bytes (--max-line-bytes); the file is treated as corrupt and none of it is loaded`, { file: file.key }, { retriable: false });
}

/** The error of a file with more than `max` rejected rows: it is not loaded. */
export function tooManyRejected(file: ArchiveFile, max: number): ConnectorError {
  return new ConnectorError(`${file.key}: more than ${max} rows rejected (--max-dead-letters); the file is treated as corrupt and none of it is loaded`, { file: file.key }, { retriable: false });
}

/** Streams the records of the zip at `path` as chunks; returns the counters. */
export async function* parseArchiveFile(path: string, size: number, file: ArchiveFile, options: ParseOptions): AsyncGenerator<ParsedChunk, ParseStats> {
  const batchRows = options.batchRows ?? PARSE_CHUNK_ROWS;
  const entries = await readZipDirectory(path, size, file.key);
  const stream = await openZipEntry(path, selectCsvEntry(entries, csvNameOf(file), file.key), file.key);
  const { cutEvery } = options;
  const limitAfter = (emitted: number): number => (cutEvery === undefined ? batchRows : Math.min(batchRows, cutEvery - (emitted % cutEvery)));
  const parser = new RowParser(file, options, limitAfter(0), options.rejectedAtUs ?? 0);
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  let emitted = 0;
  for await (const bytes of readLinePieces(stream, maxLineBytes, () => lineTooLong(file, parser.lineNo + 1, maxLineBytes))) {
    for (let start = 0; start < bytes.length;) {
      start = parser.parse(bytes, start);
      if (parser.records.length >= parser.limit) {
        emitted += parser.records.length;
        yield { kind: file.kind, records: parser.records };
        parser.records = [];
        parser.limit = limitAfter(emitted);
      }
    }
    if (parser.dead.length >= batchRows) { yield { kind: 'deadLetter', records: parser.dead }; parser.dead = []; }
  }
  if (parser.records.length > 0) yield { kind: file.kind, records: parser.records };
  if (parser.dead.length > 0) yield { kind: 'deadLetter', records: parser.dead };
  return parser.stats;
}
