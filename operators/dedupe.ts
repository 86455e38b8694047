/**
 * `dedupe`: one copy per identity key, the highest version winning, with state bounded by the watermark.
 */
import type { MonoTypeOperatorFunction } from 'rxjs';
import { identityKeyOf, type AnyRecord } from '../schemas/index.js';
import { processRecords, type Emit, type RecordProcessor, type RunContext } from './record-processor.js';
import { END_OF_INPUT, type WatermarkHolder } from './stream-key-cache.js';
import { WatermarkTracker, type StreamClock, type WatermarkOptions } from './watermark.js';

/** Options of {@link dedupe}. */
export interface DedupeOptions extends WatermarkOptions {
  /**
   * Extra event time (µs) an identity is remembered behind its stream's watermark, for duplicates that
   * arrive long after the original (e.g. an archive copy of a live trade). @default 0
   */
  retentionUs?: number;
  /** The identity of a record within its stream. @default trade/aggTrade id, kline open time, else identityKeyOf */
  identityOf?: (record: AnyRecord) => string | number;
  /** Receives, once per subscription, a function returning the number of identities held (for monitoring). */
  stateProbe?: (keysHeld: () => number) => void;
  /** Receives, once per subscription, a function returning the number of copies dropped so far (dedupe hits, for monitoring). */
  dropProbe?: (dropped: () => number) => void;
}

/** Above this many live identities a stream indexes them in a Map; below, a linear scan is faster. */
const SCAN_LIMIT = 16;
/**
 * The dead head (pruned entries) is reclaimed once it is at least this long and at least as long as the live
 * tail. Small: a stream holding one identity then keeps an array of 3 entries (one or two cache lines) instead
 * of walking through 17 (was 16: validate → dedupe → resample over 1,000 streams ran ~20 % faster at 2, median
 * of 5 alternating A/B processes; bench/operators.ts).
 */
const COMPACT_AFTER = 2;

/**
 * Identities held for one stream in arrival order (a FIFO pruned from the head as the watermark passes),
 * found by a linear scan while few, through a Map index while many.
 */
export class HeldIdentities {
  /**
   * Entries `[id, version, eventTimeUs]` laid out flat (stride 3) in one array — all doubles for numeric
   * ids, so one contiguous store — live from entry `head` to `size − 1`; capacity is kept when emptied.
   */
  private slots: (string | number)[] = [];
  private head = 0;
  private size = 0;
  private index: Map<string | number, number> | undefined;

  /** Entries the array has room for (live, pruned-but-not-reclaimed and spare): the memory held. */
  get capacity(): number {
    return Math.floor(this.slots.length / 3);
  }

  /** Entry number of an identity, or −1. */
  find(id: string | number): number {
    if (this.index !== undefined) return this.index.get(id) ?? -1;
    for (let i = this.size - 1; i >= this.head; i--) if (this.slots[3 * i] === id) return i;
    return -1;
  }

  versionAt(entry: number): number {
    return this.slots[3 * entry + 1] as number;
  }

  upgrade(entry: number, version: number): void {
    this.slots[3 * entry + 1] = version;
  }

  /** Holds the identity of a record (its version and event time are read here, not passed: see WatermarkHolder). */
  hold(id: string | number, record: { readonly version: number; readonly eventTimeUs: number }): void {
    const entry = this.size++;
    this.index?.set(id, entry);
    const slot = 3 * entry;
    this.slots[slot] = id;
    this.slots[slot + 1] = record.version;
    this.slots[slot + 2] = record.eventTimeUs;
    if (this.index === undefined && this.size - this.head > SCAN_LIMIT) this.reindex();
  }

  /** Forgets identities with event time below `clock.watermarkUs − retentionUs` (oldest arrivals first); returns how many. */
  prune(clock: WatermarkHolder, retentionUs: number): number {
    const horizonUs = clock.watermarkUs - retentionUs;
    const start = this.head;
    while (this.head < this.size && (this.slots[3 * this.head + 2] as number) < horizonUs) {
      this.index?.delete(this.slots[3 * this.head]);
      this.head++;
    }
    const pruned = this.head - start;
    if (this.head === this.size) {
      this.head = this.size = 0;
      this.index = undefined;
      if (this.slots.length > 12 * SCAN_LIMIT) this.slots.length = 0;
    } else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.size) {
      this.compact();
    }
    return pruned;
  }

  /**
   * Moves the live entries to the front of the array, in place. Done once the dead head is at least as long
   * as the live tail, so it costs O(1) per held identity and the array never exceeds twice the live entries
   * (plus {@link COMPACT_AFTER}): a stream that always holds its newest identity (the common case on time-
   * ordered input) used to grow its array by one entry per record until a large copy — megabytes of churn
   * over 1,000 streams, and the cache misses that come with it.
   */
  private compact(): void {
    const slots = this.slots;
    const from = 3 * this.head;
    const live = 3 * (this.size - this.head);
    for (let i = 0; i < live; i++) slots[i] = slots[from + i];
    this.size -= this.head;
    this.head = 0;
    this.reindex();
  }

  private reindex(): void {
    if (this.size - this.head <= SCAN_LIMIT / 2) {
      this.index = undefined;
      return;
    }
    this.index = new Map();
    for (let i = this.head; i < this.size; i++) this.index.set(this.slots[3 * i], i);
  }
}

function defaultIdentity(record: AnyRecord): string | number {
  switch (record.kind) {
    case 'trade': return record.tradeId;
    case 'aggTrade': return record.aggTradeId;
    case 'kline': return record.openTimeUs;
    default: return identityKeyOf(record);
  }
}

class DedupeProcessor implements RecordProcessor {
  private readonly tracker: WatermarkTracker<HeldIdentities>;
  private readonly identityOf: (record: AnyRecord) => string | number;
  private readonly retentionUs: number;
  private held = 0;
  private dropped = 0;

  constructor(options: DedupeOptions, run: RunContext) {
    this.tracker = new WatermarkTracker(options, () => new HeldIdentities(), run.streams);
    this.identityOf = options.identityOf ?? defaultIdentity;
    this.retentionUs = options.retentionUs ?? 0;
    options.stateProbe?.(() => this.held);
    options.dropProbe?.(() => this.dropped);
  }

  push(record: AnyRecord, emit: Emit): void {
    if (record.kind === 'deadLetter') {
      emit(record);
      return;
    }
    const clock = this.tracker.advance(this.tracker.clockFor(record), record);
    const id = this.identityOf(record);
    const stream = clock.state;
    const position = stream.find(id);
    if (position < 0) {
      if (record.eventTimeUs >= clock.watermarkUs - this.retentionUs) {
        stream.hold(id, record);
        this.held++;
      }
      emit(record);
    } else if (record.version > stream.versionAt(position)) {
      stream.upgrade(position, record.version);
      emit(record);
    } else {
      this.dropped++;
    }
    this.prune(clock);
    if (this.tracker.detectsIdle) for (const idle of this.tracker.advanceIdle()) this.prune(idle);
  }

  flush(): void {
    for (const clock of this.tracker.clocksNow()) this.held -= clock.state.prune(END_OF_INPUT, 0);
  }

  private prune(clock: StreamClock<HeldIdentities>): void {
    this.held -= clock.state.prune(clock, this.retentionUs);
  }
}

/**
 * Drops copies of a record already seen: per stream key (`keyOf`), an identity (`identityOf`) passes the
 * first time, and again only with a strictly higher `version` (the version rule: archive > rest > closed
 * ws > open ws > fill; later ingest over earlier), so a correction flows downstream while repeats and
 * lower-ranked copies are dropped. `deadLetter` records always pass; other kinds are deduped by their
 * schemas identity key. Output order is input order.
 *
 * Memory: per stream, the identities with event time at or above `watermark − retentionUs`; older ones are
 * forgotten as the watermark advances (idle streams are pruned when they follow the frontier). A copy
 * arriving after its identity was forgotten passes through; ClickHouse `ReplacingMergeTree(version)`
 * collapses it with the same rule. The state does not grow with the number of records, only with the
 * record rate × (maxOutOfOrderUs + retentionUs) and the number of streams.
 */
export function dedupe(options: DedupeOptions = {}): MonoTypeOperatorFunction<AnyRecord> {
  return processRecords((run) => new DedupeProcessor(options, run));
}
