/**
 * Parses one verified archive zip into records, streaming: central directory → the CSV member → inflate →
 * pieces of whole lines (bytes, csv.ts) → the data type's row mapper, which reads each row in place through
 * one reused RowCursor. A UTF-8 byte order mark before line 1 is skipped (else a headerless file would lose its
 * first row to the header sniff); a header on line 1 is sniffed and skipped. A malformed row becomes a `deadLetter`
 * record (file, line, reason, raw line) and the file continues; a row repeating the previous row's id (trades,
 * aggTrades, klines, fundingRate, bookTicker) is a duplicate and goes to the DLQ too. Rows of a monthly file
 * outside the requested days are counted and not loaded. Memory: one inflated piece plus one chunk of records.
 */
import { finished } from 'node:stream/promises';
import type {
  AggTradeRecord, AnyRecord, BookTickerRecord, DeadLetterRecord, FundingRateRecord, KindName, KlineRecord, TradeRecord,
} from '../../schemas/records.js';
import { DecodeError } from '../../schemas/errors.js';
import { isHeaderLine, readLinePieces } from './csv.js';
import { RowCursor } from './row-cursor.js';
import { priceKindOf, rowMapperFor, type RowContext, type RowMapper } from './map-archive-row.js';
import type { ArchiveFile } from './plan.js';
import { openZipEntry, readZipDirectory, selectCsvEntry } from './unzip.js';

/** Counters of one parsed file. */
export interface ParseStats {
  /** Records produced (excluding dead letters). */
  rows: number;
  deadLetters: number;
  duplicates: number;
  /** Rows of a monthly file outside the requested days (not loaded). */
  outOfRange: number;
  /** Line 1 was a header. */
  header: boolean;
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
}

/** Per kind, the id that must change from one row to the next (monomorphic accessors, no keyed lookups). */
const ORDER_KEY: Partial<Record<KindName, { field: string; of: (r: AnyRecord) => number }>> = {
  trade: { field: 'tradeId', of: (r) => (r as TradeRecord).tradeId },
  aggTrade: { field: 'aggTradeId', of: (r) => (r as AggTradeRecord).aggTradeId },
  kline: { field: 'openTimeUs', of: (r) => (r as KlineRecord).openTimeUs },
  fundingRate: { field: 'fundingTimeUs', of: (r) => (r as FundingRateRecord).fundingTimeUs },
  bookTicker: { field: 'updateId', of: (r) => (r as BookTickerRecord).updateId },
};

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
 * row reaches a sink. Costs one extra native inflate of the member (2 M trades, 161 MB: 0.6 s); memory: one
 * chunk. Sinks that stage do without it: the parse's own inflate checks the same at the member's end, before
 * the file's stage is committed (from-binance-archive.ts).
 */
export async function checkArchiveZip(path: string, size: number, file: ArchiveFile): Promise<void> {
  const entries = await readZipDirectory(path, size, file.key);
  const stream = await openZipEntry(path, selectCsvEntry(entries, csvNameOf(file), file.key), file.key);
  stream.resume();
  await finished(stream);
}

/**
 * The per-row loop of one file, kept out of the async generator so that it is a small, stable function the
 * JIT optimizes early (a daily file is short) and that never sees the generator's paths.
 */
class RowParser {
  readonly stats: ParseStats = { rows: 0, deadLetters: 0, duplicates: 0, outOfRange: 0, header: false };
  records: AnyRecord[] = [];
  dead: AnyRecord[] = [];
  private readonly cursor = new RowCursor();
  private readonly map: RowMapper;
  private readonly context: RowContext;
  private readonly order: { field: string; of: (r: AnyRecord) => number } | undefined;
  private readonly filterRange: boolean;
  private lineNo = 0;
  private lastKey = -1;
  private lastKeyLine = 0;

  /** Records of the current chunk at which `parse` stops. */
  limit: number;

  constructor(private readonly file: ArchiveFile, options: ParseOptions, batchRows: number, private readonly atUs: number) {
    this.limit = batchRows;
    this.map = rowMapperFor(file.dataType);
    this.context = {
      market: file.market, symbol: file.symbol, interval: file.interval, priceKind: priceKindOf(file.dataType),
      ingestId: file.key, version: options.version,
    };
    this.filterRange = file.period === 'monthly';
    this.order = ORDER_KEY[file.kind];
  }

  /** Parses the rows of `bytes` (whole lines) from `start` until it ends or a batch is full; returns where it stopped. */
  parse(bytes: Buffer, start: number): number {
    const { cursor, file, stats, order } = this;
    while (start < bytes.length && this.records.length < this.limit) {
      const lineNo = ++this.lineNo;
      if (lineNo === 1 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf) start += 3;
      const first = bytes[start];
      if (first === 10) { start++; continue; }
      if (first === 13 && bytes[start + 1] === 10) { start += 2; continue; }
      cursor.reset(bytes, start);
      if (lineNo === 1 && isHeaderLine(bytes, start)) { stats.header = true; start = cursor.rowEnd(); continue; }
      let record: AnyRecord;
      try {
        record = this.map(cursor, this.context);
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
        start = cursor.rowEnd();
        this.reject(lineNo, error.message, error.name);
        continue;
      }
      start = cursor.rowEnd();
      if (order !== undefined) {
        const key = order.of(record);
        if (key === this.lastKey) {
          this.reject(lineNo, `duplicate row: ${order.field} ${key} already at line ${this.lastKeyLine}`, 'DuplicateRow');
          stats.duplicates++;
          continue;
        }
        this.lastKey = key; this.lastKeyLine = lineNo;
      }
      if (this.filterRange && (record.eventTimeUs < file.rangeStartUs || record.eventTimeUs >= file.rangeEndUs)) { stats.outOfRange++; continue; }
      this.records.push(record);
      stats.rows++;
    }
    return start;
  }

  private reject(lineNo: number, reason: string, errorName: string): void {
    this.dead.push(deadLetter(this.file, lineNo, this.cursor.raw(), reason, errorName, this.atUs));
    this.stats.deadLetters++;
  }
}

/** Streams the records of the zip at `path` as chunks; returns the counters. */
export async function* parseArchiveFile(path: string, size: number, file: ArchiveFile, options: ParseOptions): AsyncGenerator<ParsedChunk, ParseStats> {
  const batchRows = options.batchRows ?? PARSE_CHUNK_ROWS;
  const entries = await readZipDirectory(path, size, file.key);
  const stream = await openZipEntry(path, selectCsvEntry(entries, csvNameOf(file), file.key), file.key);
  const { cutEvery } = options;
  const limitAfter = (emitted: number): number => (cutEvery === undefined ? batchRows : Math.min(batchRows, cutEvery - (emitted % cutEvery)));
  const parser = new RowParser(file, options, limitAfter(0), options.rejectedAtUs ?? 0);
  let emitted = 0;
  for await (const bytes of readLinePieces(stream)) {
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
