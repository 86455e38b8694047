/**
 * The depth side of a live run: one {@link BookSync} per subscribed symbol, its REST snapshots (a stale one is
 * asked again with backoff, at most {@link SNAPSHOT_ATTEMPTS} times) and the gaps of books that could not sync.
 * Depth of a symbol not subscribed has no book: its diffs are refused.
 */
import type { AnyRecord, DepthUpdateRecord, GapRecord } from '../../schemas/records.js';
import { US_PER_MS } from '../../schemas/time.js';
import { backoffDelayMs } from '../plumbing/backoff.js';
import { BookSync } from './book-sync.js';
import { makeGap } from './gap-record.js';
import type { LiveMarket } from './live-context.js';
import type { LiveStats } from './live-stats.js';
import type { LiveStream } from './live-streams.js';
import type { BinanceRest } from './rest-client.js';

/** What the books need from their run. */
export interface LiveBooksOptions {
  readonly market: LiveMarket;
  readonly streams: readonly LiveStream[];
  readonly rest: BinanceRest;
  readonly stats: LiveStats;
  readonly signal: AbortSignal;
  readonly now: () => number;
  readonly depthLimit: number;
  readonly emit: (record: AnyRecord) => void;
}

const SNAPSHOT_ATTEMPTS = 5;

/** The order books of one live run. */
export class LiveBooks {
  /** Books by symbol; null = depth of that symbol is not subscribed. */
  private readonly books = new Map<string, BookSync | null>();
  private readonly snapshotAttempts = new Map<string, number>();

  constructor(private readonly o: LiveBooksOptions) {}

  /** A depth diff: emitted in sync (asking for a snapshot when needed); false when its symbol's depth is not subscribed. */
  onUpdate(record: DepthUpdateRecord, receiveMs: number): boolean {
    const book = this.book(record.symbol);
    if (book === null) return false;
    const step = book.onUpdate(record, receiveMs);
    this.emitBook(record.symbol, step.records, step.needSnapshot);
    return true;
  }

  /** The socket carrying `symbol`'s depth ended: the book syncs again from the next diffs and a new snapshot. */
  reset(symbol: string): void {
    this.book(symbol)?.reset();
  }

  /** The book of `symbol`, or null when its depth is not subscribed. */
  private book(symbol: string): BookSync | null {
    let book = this.books.get(symbol);
    if (book === undefined) {
      book = this.o.streams.some((s) => s.type === 'depth' && s.symbol === symbol) ? new BookSync(this.o.market, symbol) : null;
      this.books.set(symbol, book);
    }
    return book;
  }

  private emitBook(symbol: string, records: AnyRecord[], needSnapshot: boolean): void {
    for (const record of records) {
      if (record.kind === 'gap') { this.o.stats.gaps++; this.o.stats.resyncs++; }
      this.o.emit(record);
    }
    if (needSnapshot) void this.fetchSnapshot(symbol);
  }

  private async fetchSnapshot(symbol: string): Promise<void> {
    const book = this.book(symbol);
    if (book === null) return;
    const attempt = (this.snapshotAttempts.get(symbol) ?? 0) + 1;
    this.snapshotAttempts.set(symbol, attempt);
    try {
      if (attempt > 1) await this.o.rest.limiter.wait(backoffDelayMs(attempt - 1, { baseDelayMs: 100 }), this.o.signal);
      const snapshot = await this.o.rest.depth(symbol, this.o.depthLimit, this.o.signal);
      if (this.o.signal.aborted) return;
      const step = book.onSnapshot(snapshot);
      if (!step.needSnapshot) this.snapshotAttempts.delete(symbol);
      if (step.needSnapshot && attempt >= SNAPSHOT_ATTEMPTS) {
        this.snapshotAttempts.delete(symbol);
        book.snapshotFailed();
        this.emitBook(symbol, [...step.records, this.snapshotGap(symbol, `snapshot older than the buffered diffs after ${attempt} attempts`)], false);
        return;
      }
      this.emitBook(symbol, step.records, step.needSnapshot);
    } catch (error) {
      if (this.o.signal.aborted) return;
      this.snapshotAttempts.delete(symbol);
      book.snapshotFailed();
      this.emitBook(symbol, [this.snapshotGap(symbol, `depth snapshot failed: ${(error as Error).message}`)], false);
    }
  }

  private snapshotGap(symbol: string, detail: string): GapRecord {
    const nowUs = Math.round(this.o.now() * US_PER_MS);
    return makeGap({ market: this.o.market, symbol, dataType: 'depthUpdate', fromUs: nowUs, toUs: nowUs, cause: 'unfillable', state: 'unfillable', receiveMs: this.o.now(), ingestId: `rest:depth:${symbol}`, detail });
  }
}
