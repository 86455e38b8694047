/**
 * Continuity of one live stream (a data type of a symbol): remembers the last id / time emitted, drops
 * the duplicates an overlap produces (roll-over sockets, REST repair meeting the live stream), detects id
 * holes in trades and aggTrades, and holds live records back while a REST repair fills the hole before them
 * — so the output of a stream is in order and holds every id once (klines: open times never go back). State: a few numbers plus the records
 * received during one repair.
 */
import type { AnyRecord } from '../../schemas/records.js';
import type { LiveStream } from './live-streams.js';

/** An id hole found in the live stream. */
export interface IdHole { readonly fromId: number; readonly toId: number; readonly fromUs: number; readonly toUs: number }

/** What {@link StreamTracker.accept} decided. */
export interface TrackerStep { readonly emit: AnyRecord[]; readonly hole: IdHole | null }

function idOf(record: AnyRecord): number | null {
  if (record.kind === 'trade') return record.tradeId;
  if (record.kind === 'aggTrade') return record.aggTradeId;
  return null;
}

/** Continuity state of one stream. */
export class StreamTracker {
  /** Last trade/aggTrade id emitted. */
  lastId: number | null = null;
  /** Event time of the last record emitted, µs. */
  lastEventUs: number | null = null;
  /** Open time of the latest kline emitted, µs. */
  lastOpenTimeUs: number | null = null;
  /** True while a REST repair runs: live records are held in `pending`. */
  repairing = false;
  pending: AnyRecord[] = [];
  /** Duplicates dropped (overlaps). */
  duplicatesDropped = 0;
  private lastSequence = -Infinity;
  private lastFingerprint = '';

  constructor(readonly stream: LiveStream) {}

  /** Accepts a live record: emit now, hold (repairing), drop (duplicate), or report a hole. */
  accept(record: AnyRecord): TrackerStep {
    if (this.repairing) { this.pending.push(record); return { emit: [], hole: null }; }
    const id = idOf(record);
    if (id !== null) {
      if (this.lastId !== null && id <= this.lastId) { this.duplicatesDropped++; return { emit: [], hole: null }; }
      if (this.lastId !== null && id > this.lastId + 1) {
        const hole = { fromId: this.lastId + 1, toId: id - 1, fromUs: (this.lastEventUs ?? record.eventTimeUs) + 1, toUs: record.eventTimeUs };
        this.repairing = true;
        this.pending = [record];
        return { emit: [], hole };
      }
      this.lastId = id;
    } else if (record.kind === 'kline' && this.lastOpenTimeUs !== null && record.openTimeUs < this.lastOpenTimeUs) {
      // An earlier candle again (in flight while a REST repair already gave it): stale, keep time order.
      this.duplicatesDropped++;
      return { emit: [], hole: null };
    } else if (this.isDuplicate(record)) {
      this.duplicatesDropped++;
      return { emit: [], hole: null };
    }
    this.note(record);
    return { emit: [record], hole: null };
  }

  /** Records an emitted record (live or repaired) as the stream's latest. */
  note(record: AnyRecord): void {
    const id = idOf(record);
    if (id !== null) this.lastId = Math.max(this.lastId ?? id, id);
    this.lastEventUs = Math.max(this.lastEventUs ?? record.eventTimeUs, record.eventTimeUs);
    if (record.kind === 'kline') this.lastOpenTimeUs = Math.max(this.lastOpenTimeUs ?? record.openTimeUs, record.openTimeUs);
  }

  /**
   * Gives up on the ids before the first held live record (a hole REST could not fill): the stream goes on
   * after it, so the held records are not taken for the same hole again. Returns the last id given up, or null.
   */
  skipHole(): number | null {
    const target = this.firstPendingId();
    if (target === null || (this.lastId !== null && this.lastId >= target - 1)) return null;
    this.lastId = target - 1;
    return this.lastId;
  }

  /** The id of the first held live record (the repair target), or null. */
  firstPendingId(): number | null {
    for (const record of this.pending) { const id = idOf(record); if (id !== null) return id; }
    return null;
  }

  /** The open time of the first held live kline, µs, or null. */
  firstPendingOpenTimeUs(): number | null {
    const first = this.pending.find((r) => r.kind === 'kline');
    return first?.kind === 'kline' ? first.openTimeUs : null;
  }

  /** Ends a repair: returns the held records for re-acceptance, in arrival order. */
  endRepair(): AnyRecord[] {
    this.repairing = false;
    const held = this.pending;
    this.pending = [];
    return held;
  }

  /** Overlap duplicates of kinds without ids: bookTicker by updateId, markPrice/liquidation by time. */
  private isDuplicate(record: AnyRecord): boolean {
    let sequence: number;
    let fingerprint = '';
    switch (record.kind) {
      case 'bookTicker': sequence = record.updateId; break;
      case 'markPrice': sequence = record.eventTimeUs; break;
      case 'liquidation': sequence = record.eventTimeUs; fingerprint = `${record.side}/${record.price}/${record.origQty}`; break;
      case 'fundingRate': sequence = Number.NaN; fingerprint = `${record.fundingTimeUs}/${record.fundingRate}`; break;
      default: return false;
    }
    if (Number.isNaN(sequence)) {
      const duplicate = fingerprint === this.lastFingerprint;
      this.lastFingerprint = fingerprint;
      return duplicate;
    }
    if (sequence < this.lastSequence || (sequence === this.lastSequence && fingerprint === this.lastFingerprint)) return true;
    this.lastSequence = sequence;
    this.lastFingerprint = fingerprint;
    return false;
  }
}
