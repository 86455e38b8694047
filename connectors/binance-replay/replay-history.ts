/**
 * The REST history of a streamed feed (`historicalTrades?fromId`, `aggTrades?fromId|startTime`,
 * `klines?startTime`, recent `trades`), without holding the played rows: the last `recentRows` rows of each
 * stream stay in memory (a client repairing a hole asks about "now"), and for every `markEvery`-th row played
 * of each file a mark (its id, time and line offset) is kept; older rows are read again from the archive,
 * starting at the last mark before the asked id or time and stopping at the last row played. Archives list
 * ids and times in ascending order, which the marks rely on. Memory: `recentRows` rows per stream plus one
 * mark per `markEvery` rows played.
 */
import type { FeedEvent, Payload } from './replay-feed.js';

/** Where a played row is: its id and time, its file and line offset, and its ordinal among its file's rows. */
interface Mark { readonly id: number; readonly time: number; readonly offset: number; readonly ordinal: number }

/** The rows of one stream played from one file. */
interface Segment { readonly origin: number; played: number; readonly marks: Mark[] }

interface StreamHistory { readonly recent: FeedEvent[]; head: number; total: number; readonly segments: Segment[] }

/** Options of {@link ReplayHistory}. */
export interface HistoryOptions {
  /** Rows per stream kept in memory (at least the largest REST `limit`, 1,500). @default 10000 */
  readonly recentRows?: number;
  /** Rows per file between two marks. @default 4096 */
  readonly markEvery?: number;
}

/** Which row field a query starts from. */
export type HistoryField = 'id' | 'time';

/** The REST history of streamed rows, by stream key (`trade:BTCUSDT`, `kline:BTCUSDT:1m`). */
export class ReplayHistory {
  private readonly streams = new Map<string, StreamHistory>();
  private readonly recentRows: number;
  private readonly markEvery: number;
  /** Rows read again from the archive so far (for tests and reports). */
  rereadRows = 0;

  constructor(private readonly reread: (origin: number, offset: number) => AsyncIterable<readonly FeedEvent[]>, options: HistoryOptions = {}) {
    this.recentRows = Math.max(1500, options.recentRows ?? 10_000);
    this.markEvery = Math.max(1, options.markEvery ?? 4096);
  }

  /** Records a played row of stream `key` (an event with a file position and a REST row). */
  add(key: string, event: FeedEvent): void {
    let h = this.streams.get(key);
    if (h === undefined) { h = { recent: [], head: 0, total: 0, segments: [] }; this.streams.set(key, h); }
    if (h.recent.length < this.recentRows) h.recent.push(event);
    else { h.recent[h.head] = event; h.head = (h.head + 1) % this.recentRows; }
    h.total++;
    let segment = h.segments.at(-1);
    if (segment === undefined || segment.origin !== event.origin) segment = h.segments.find((s) => s.origin === event.origin);
    if (segment === undefined) { segment = { origin: event.origin as number, played: 0, marks: [] }; h.segments.push(segment); }
    if (segment.played % this.markEvery === 0) {
      const row = event.restRow as Payload | unknown[];
      segment.marks.push({ id: fieldOf(key, row, 'id'), time: fieldOf(key, row, 'time'), offset: event.offset as number, ordinal: segment.played });
    }
    segment.played++;
  }

  /** True when stream `key` has streamed rows. */
  has(key: string): boolean { return this.streams.has(key); }

  /** The last `limit` rows played of `key`, oldest first. */
  latest(key: string, limit: number): (Payload | unknown[])[] {
    const recent = this.ordered(key);
    return recent.slice(Math.max(0, recent.length - limit)).map((e) => e.restRow as Payload | unknown[]);
  }

  /** Up to `limit` played rows of `key` whose `field` is at least `from`, in file order. */
  async from(key: string, field: HistoryField, from: number, limit: number): Promise<(Payload | unknown[])[]> {
    const h = this.streams.get(key);
    if (h === undefined || limit <= 0) return [];
    const recent = this.ordered(key);
    const oldest = recent[0];
    if (h.total <= recent.length || fieldOf(key, oldest.restRow as Payload, field) <= from) {
      let lo = 0; let hi = recent.length;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (fieldOf(key, recent[mid].restRow as Payload, field) < from) lo = mid + 1; else hi = mid; }
      return recent.slice(lo, lo + limit).map((e) => e.restRow as Payload | unknown[]);
    }
    return this.fromArchive(key, h, field, from, limit);
  }

  /** Reads the rows again from the last mark at or before `from`, across the stream's files in play order. */
  private async fromArchive(key: string, h: StreamHistory, field: HistoryField, from: number, limit: number): Promise<(Payload | unknown[])[]> {
    let first = 0;
    let mark: Mark = h.segments[0].marks[0];
    h.segments.forEach((s, i) => { for (const m of s.marks) if ((field === 'id' ? m.id : m.time) <= from) { first = i; mark = m; } });
    const rows: (Payload | unknown[])[] = [];
    for (let i = first; i < h.segments.length && rows.length < limit; i++) {
      const segment = h.segments[i];
      const start = i === first ? mark : segment.marks[0];
      let ordinal = start.ordinal;
      read: for await (const chunk of this.reread(segment.origin, start.offset)) {
        for (const event of chunk) {
          if (ordinal++ >= segment.played || rows.length >= limit) break read;
          this.rereadRows++;
          const row = event.restRow as Payload | unknown[];
          if (fieldOf(key, row, field) >= from) rows.push(row);
        }
      }
    }
    return rows;
  }

  private ordered(key: string): FeedEvent[] {
    const h = this.streams.get(key);
    if (h === undefined) return [];
    return h.head === 0 ? h.recent : [...h.recent.slice(h.head), ...h.recent.slice(0, h.head)];
  }
}

/** The id or time of a REST row of stream `key`: trades `id`/`time`, aggTrades `a`/`T`, klines their open time. */
export function fieldOf(key: string, row: Payload | unknown[], field: HistoryField): number {
  if (Array.isArray(row)) return Number(row[0]);
  if (key.startsWith('aggTrade:')) return Number(field === 'id' ? row.a : row.T);
  return Number(field === 'id' ? row.id : row.time);
}
