/**
 * `dedupe`: one copy per identity key, the highest version winning, with state bounded by the watermark.
 */
import type { MonoTypeOperatorFunction } from 'rxjs';
import { identityKeyOf, streamKeyOf, type AnyRecord } from '../schemas/index.js';
import { processRecords, type Emit, type RecordProcessor } from './record-processor.js';
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
}

/** Identities held for one stream, in arrival order for pruning. */
class HeldIdentities {
  readonly versions = new Map<string | number, number>();
  private ids: (string | number)[] = [];
  private times: number[] = [];
  private head = 0;

  hold(id: string | number, version: number, eventTimeUs: number): void {
    this.versions.set(id, version);
    this.ids.push(id);
    this.times.push(eventTimeUs);
  }

  /** Forgets identities whose event time is below `horizonUs` (oldest arrivals first); returns how many. */
  prune(horizonUs: number): number {
    const start = this.head;
    while (this.head < this.times.length && this.times[this.head] < horizonUs) {
      this.versions.delete(this.ids[this.head]);
      this.head++;
    }
    const pruned = this.head - start;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.ids = this.ids.slice(this.head);
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    return pruned;
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
  private readonly keyOf: (record: AnyRecord) => string;
  private readonly identityOf: (record: AnyRecord) => string | number;
  private readonly retentionUs: number;
  private held = 0;

  constructor(options: DedupeOptions) {
    this.tracker = new WatermarkTracker(options, () => new HeldIdentities());
    this.keyOf = options.keyOf ?? streamKeyOf;
    this.identityOf = options.identityOf ?? defaultIdentity;
    this.retentionUs = options.retentionUs ?? 0;
    options.stateProbe?.(() => this.held);
  }

  push(record: AnyRecord, emit: Emit): void {
    if (record.kind === 'deadLetter') {
      emit(record);
      return;
    }
    const clock = this.tracker.observe(this.keyOf(record), record.eventTimeUs);
    const id = this.identityOf(record);
    const stream = clock.state;
    const held = stream.versions.get(id);
    if (held === undefined) {
      if (record.eventTimeUs >= clock.watermarkUs - this.retentionUs) {
        stream.hold(id, record.version, record.eventTimeUs);
        this.held++;
      }
      emit(record);
    } else if (record.version > held) {
      stream.versions.set(id, record.version);
      emit(record);
    }
    this.prune(clock);
    for (const idle of this.tracker.advanceIdle()) this.prune(idle);
  }

  flush(): void {
    for (const clock of this.tracker.clocksNow()) this.held -= clock.state.prune(Infinity);
  }

  private prune(clock: StreamClock<HeldIdentities>): void {
    this.held -= clock.state.prune(clock.watermarkUs - this.retentionUs);
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
  return processRecords(() => new DedupeProcessor(options));
}
