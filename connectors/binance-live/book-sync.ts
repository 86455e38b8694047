/**
 * The documented local-order-book synchronisation, per symbol, as a pure state machine: buffer `@depth`
 * diffs, take a REST snapshot, drop what the snapshot already holds, check the first applicable diff, then
 * check the chain of every later diff.
 *
 * - spot: drop `u <= lastUpdateId`; the first kept diff has `U <= lastUpdateId + 1 <= u` (a snapshot older
 *   than the buffer, `U > lastUpdateId + 1`, is refetched); later diffs need `U == prev.u + 1`
 *   (`U > prev.u + 1` is a break; `u <= prev.u` is a stale duplicate and skipped).
 * - futures (um, cm): drop `u < lastUpdateId`; the first kept diff has `U <= lastUpdateId <= u`; later diffs
 *   need `pu == prev.u`.
 *
 * Output: the snapshot as a `bookSnapshot` record, then every applied diff as a `depthUpdate` record; a
 * break emits a `gap` (cause `sequence_break`, state `reported`) and restarts the sync (the caller fetches a
 * new snapshot when `needSnapshot` is true). Memory: the buffer holds at most `maxBuffered` diffs (oldest
 * dropped first) while waiting for a snapshot.
 */
import type { AnyRecord, BookSnapshotRecord, DepthUpdateRecord } from '../../schemas/records.js';
import { makeGap } from './gap-record.js';
import type { LiveMarket } from './live-context.js';

/** The result of feeding the machine. */
export interface BookSyncStep {
  readonly records: AnyRecord[];
  /** True when the caller must fetch a (new) REST snapshot now. */
  readonly needSnapshot: boolean;
}

type Phase = 'buffering' | 'awaitingFirst' | 'synced';

/** Book synchronisation of one symbol of one market. */
export class BookSync {
  private phase: Phase = 'buffering';
  private buffer: DepthUpdateRecord[] = [];
  private lastUpdateId = 0;
  private lastEventUs = 0;
  private snapshotRequested = false;
  /** Resyncs since creation (breaks and disconnects). */
  resyncs = 0;

  constructor(readonly market: LiveMarket, readonly symbol: string, private readonly maxBuffered = 10_000) {}

  /** Whether the book is synced (a snapshot applied and the chain intact). */
  get synced(): boolean { return this.phase !== 'buffering'; }

  /** Feeds one diff. */
  onUpdate(update: DepthUpdateRecord, receiveMs: number): BookSyncStep {
    if (this.phase === 'buffering') return this.bufferUpdate(update);
    if (update.finalUpdateId <= this.lastUpdateId && this.phase === 'synced') return { records: [], needSnapshot: false };
    if (this.phase === 'awaitingFirst') {
      if (this.isStale(update)) return { records: [], needSnapshot: false };
      if (!this.isFirstApplicable(update)) return this.breakChain(update, receiveMs);
    } else if (!this.continues(update)) {
      return this.breakChain(update, receiveMs);
    }
    this.apply(update);
    return { records: [update], needSnapshot: false };
  }

  /** Feeds a REST snapshot; the caller requested it after `needSnapshot`. */
  onSnapshot(snapshot: BookSnapshotRecord): BookSyncStep {
    this.snapshotRequested = false;
    if (this.phase !== 'buffering') return { records: [], needSnapshot: false };
    this.lastUpdateId = snapshot.finalUpdateId;
    this.buffer = this.buffer.filter((u) => !this.isStale(u));
    const first = this.buffer[0];
    if (first !== undefined && !this.isFirstApplicable(first)) {
      this.snapshotRequested = true;
      return { records: [], needSnapshot: true };
    }
    const records: AnyRecord[] = [snapshot];
    this.lastEventUs = snapshot.eventTimeUs;
    this.phase = 'awaitingFirst';
    const buffered = this.buffer;
    this.buffer = [];
    for (const update of buffered) {
      const step = this.onUpdate(update, update.receiveTimeUs === null ? 0 : update.receiveTimeUs / 1000);
      records.push(...step.records);
      if (step.needSnapshot) return { records, needSnapshot: true };
    }
    return { records, needSnapshot: false };
  }

  /** The requested snapshot could not be fetched: the next diff asks again. */
  snapshotFailed(): void { this.snapshotRequested = false; }

  /** Forgets the book (after a disconnect): the next diff starts a new sync. */
  reset(): void {
    this.phase = 'buffering';
    this.buffer = [];
    this.snapshotRequested = false;
    this.resyncs++;
  }

  private bufferUpdate(update: DepthUpdateRecord): BookSyncStep {
    this.buffer.push(update);
    if (this.buffer.length > this.maxBuffered) this.buffer.shift();
    const needSnapshot = !this.snapshotRequested;
    this.snapshotRequested = true;
    return { records: [], needSnapshot };
  }

  private isStale(update: DepthUpdateRecord): boolean {
    return this.market === 'spot' ? update.finalUpdateId <= this.lastUpdateId : update.finalUpdateId < this.lastUpdateId;
  }

  private isFirstApplicable(update: DepthUpdateRecord): boolean {
    const id = this.market === 'spot' ? this.lastUpdateId + 1 : this.lastUpdateId;
    return update.firstUpdateId <= id && id <= update.finalUpdateId;
  }

  private continues(update: DepthUpdateRecord): boolean {
    if (this.market === 'spot') return update.firstUpdateId === this.lastUpdateId + 1;
    return update.prevFinalUpdateId === this.lastUpdateId;
  }

  private apply(update: DepthUpdateRecord): void {
    this.phase = 'synced';
    this.lastUpdateId = update.finalUpdateId;
    this.lastEventUs = update.eventTimeUs;
  }

  private breakChain(update: DepthUpdateRecord, receiveMs: number): BookSyncStep {
    const gap = makeGap({
      market: this.market, symbol: this.symbol, dataType: 'depthUpdate',
      fromUs: this.lastEventUs + 1, toUs: update.eventTimeUs,
      fromId: this.lastUpdateId + 1, toId: update.firstUpdateId - 1,
      cause: 'sequence_break', state: 'reported', receiveMs, ingestId: update.ingestId,
      detail: `resync: diff U=${update.firstUpdateId} pu=${update.prevFinalUpdateId ?? '-'} after u=${this.lastUpdateId}`,
    });
    this.reset();
    const step = this.bufferUpdate(update);
    return { records: [gap], needSnapshot: step.needSnapshot };
  }
}
