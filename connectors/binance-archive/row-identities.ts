/**
 * The identities of one archive file's rows (trade and aggTrade ids, kline windows, funding times, bookTicker
 * update ids), so that each is loaded once whatever the order of the rows: an identity not seen yet is new
 * wherever it appears; a repeat is compared with the row that had it first — the same bytes are a verbatim
 * duplicate, other bytes a conflicting one.
 *
 * Memory, per file: the identities seen as ranges of consecutive values (schemas/id-ranges.ts: two numbers per
 * run, so it grows with the holes, not the rows; bookTicker update ids are sparse, so for them only the
 * window below is kept and a repeat further back is not recognized), plus a comparison window: the last
 * {@link WINDOW_BYTES} of the file's text and a direct-mapped table of {@link SLOTS} identities pointing
 * into it. A repeat whose first row has left the window cannot be compared (the caller decides).
 */
import { IdRanges } from '../../schemas/id-ranges.js';
import { fixedIntervalUs, windowOffsetUs, windowStartUs, type KlineInterval } from '../../schemas/interval.js';
import type { AggTradeRecord, AnyRecord, BookTickerRecord, FundingRateRecord, KindName, KlineRecord, TradeRecord } from '../../schemas/records.js';

/** The identity of a row of a kind: the field named in messages, and the integer that identifies it (NaN: none). */
export interface Identity {
  readonly field: string;
  readonly value: (r: AnyRecord) => number;
  readonly key: (r: AnyRecord) => number;
  /** Keys are mostly consecutive, so the file's set of them stays small as ranges (row-identities.ts). */
  readonly dense: boolean;
}

const byValue = (field: string, value: (r: AnyRecord) => number, dense = true): Identity => ({ field, value, key: value, dense });

/** A kline's window number (consecutive windows, consecutive numbers), or NaN when its open time is not a window start. */
function klineKey(r: AnyRecord): number {
  const { openTimeUs } = r as KlineRecord;
  const interval = (r as KlineRecord).interval as KlineInterval;
  const sizeUs = fixedIntervalUs(interval);
  if (sizeUs === undefined) {
    if (windowStartUs(openTimeUs, '1M') !== openTimeUs) return Number.NaN;
    const date = new Date(openTimeUs / 1000);
    return date.getUTCFullYear() * 12 + date.getUTCMonth();
  }
  const number = (openTimeUs - windowOffsetUs(interval)) / sizeUs;
  return Number.isInteger(number) ? number : Number.NaN;
}

/** Per kind, the identity each row must not share with another row of the file (monomorphic accessors). */
export const IDENTITY: Partial<Record<KindName, Identity>> = {
  trade: byValue('tradeId', (r) => (r as TradeRecord).tradeId),
  aggTrade: byValue('aggTradeId', (r) => (r as AggTradeRecord).aggTradeId),
  kline: { field: 'openTimeUs', value: (r) => (r as KlineRecord).openTimeUs, key: klineKey, dense: true },
  fundingRate: byValue('fundingTimeUs', (r) => (r as FundingRateRecord).fundingTimeUs),
  // Update ids are a sparse sequence: ranges of them would grow with the rows.
  bookTicker: byValue('updateId', (r) => (r as BookTickerRecord).updateId, false),
};

/** Slots of the comparison table (a power of two: a slot is the identity's low bits). */
const SLOTS = 1 << 16;
/** Text of the file kept for comparisons, at least the newest piece whatever its size. */
export const WINDOW_BYTES = 4 * 1024 * 1024;

/** Where the first row of an identity is, for {@link RowIdentities.original}. */
export interface OriginalRow {
  readonly bytes: Buffer;
  readonly start: number;
  readonly line: number;
}

/** The identities of one file's rows; see the module doc. */
export class RowIdentities {
  private readonly ranges: IdRanges | null;
  private max = -Infinity;
  private slotKey: Float64Array | null = null;
  private slotPiece: Int32Array | null = null;
  private slotStart: Int32Array | null = null;
  private slotLine: Float64Array | null = null;
  /** The kept pieces of text, oldest first; `pieces[i]` has sequence number `firstPiece + i`. */
  private readonly pieces: Buffer[] = [];
  private firstPiece = 0;
  private keptBytes = 0;

  /** `dense`: identities are mostly consecutive integers (ids, window numbers), so ranges of them stay few. */
  constructor(dense: boolean) {
    this.ranges = dense ? new IdRanges() : null;
  }

  /** Declares the piece of text the next rows are in (the same piece may be declared again). */
  piece(bytes: Buffer): void {
    if (this.pieces.at(-1) === bytes) return;
    this.pieces.push(bytes);
    this.keptBytes += bytes.length;
    while (this.keptBytes > WINDOW_BYTES && this.pieces.length > 1) {
      this.keptBytes -= (this.pieces.shift() as Buffer).length;
      this.firstPiece++;
    }
  }

  /**
   * Records `key` (an integer) for the row at `start` of the current piece, line `line`; returns false when
   * the key was seen before (the row is then not recorded).
   */
  add(key: number, start: number, line: number): boolean {
    if (this.ranges !== null) {
      if (!this.ranges.add(key)) return false;
    } else if (key > this.max) {
      this.max = key;
    } else if (this.original(key) !== null) {
      return false;
    }
    if (this.slotKey === null) this.allocate();
    const slot = key & (SLOTS - 1);
    (this.slotKey as Float64Array)[slot] = key;
    (this.slotPiece as Int32Array)[slot] = this.firstPiece + this.pieces.length - 1;
    (this.slotStart as Int32Array)[slot] = start;
    (this.slotLine as Float64Array)[slot] = line;
    return true;
  }

  /** The first row of `key` if it is still in the comparison window, else null. */
  original(key: number): OriginalRow | null {
    if (this.slotKey === null) return null;
    const slot = key & (SLOTS - 1);
    if (this.slotKey[slot] !== key) return null;
    const bytes = this.pieces[(this.slotPiece as Int32Array)[slot] - this.firstPiece];
    if (bytes === undefined) return null;
    return { bytes, start: (this.slotStart as Int32Array)[slot], line: (this.slotLine as Float64Array)[slot] };
  }

  /** The table, at the first row (a file without identities, or an empty one, never pays for it). */
  private allocate(): void {
    this.slotKey = new Float64Array(SLOTS).fill(Number.NaN);
    this.slotPiece = new Int32Array(SLOTS);
    this.slotStart = new Int32Array(SLOTS);
    this.slotLine = new Float64Array(SLOTS);
  }
}

/** The text of the row at `start` of `bytes`, without its line break, as a view. */
export function rowAt(bytes: Buffer, start: number): Buffer {
  let end = bytes.indexOf(10, start);
  if (end < 0) end = bytes.length;
  if (end > start && bytes[end - 1] === 13) end--;
  return bytes.subarray(start, end);
}
