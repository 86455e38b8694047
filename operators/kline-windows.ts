/**
 * The windows `resample` holds per stream: one {@link Target} per output interval, finest first, each
 * with its open (and recently emitted) bars. Targets that tile their finer neighbour exactly are *linked*:
 * an input record is added only to the finest target, and a closed bar is handed up whole to the next
 * target — one update per record however many intervals are produced. A record that arrives after its
 * bar was handed up (late, within the allowed lateness) is added to the coarser targets directly too, so
 * every record counts exactly once at every interval.
 */
import {
  fixedIntervalUs, isCoarserInterval, KLINE_INTERVALS, nextWindowStartUs, windowOffsetUs, windowStartUs, type AggTradeRecord,
  type KlineInterval, type KlineRecord, type TradeRecord,
} from '../schemas/index.js';
import { KlineBar, type BarTemplate } from './kline-bar.js';
import type { Emit } from './record-processor.js';
import type { WatermarkHolder } from './stream-key-cache.js';

/** A record `resample` aggregates. */
export type BarInput = KlineRecord | TradeRecord | AggTradeRecord;

/** One output interval of one stream. */
export class Target {
  /** Held bars sorted by start (usually one or two: a small sorted array beats a Map here). */
  readonly bars: KlineBar[] = [];
  /** Smallest event time at which some held window must be emitted or dropped. */
  nextDueUs = Infinity;
  current: KlineBar | undefined;
  /** Window length (µs) of a fixed interval, 0 for the calendar month. */
  private readonly sizeUs: number;
  /** Alignment offset (µs): weeks start on Monday, four days after the epoch. */
  private readonly offsetUs: number;

  constructor(readonly template: BarTemplate, readonly linked: boolean) {
    this.sizeUs = fixedIntervalUs(template.interval) ?? 0;
    this.offsetUs = windowOffsetUs(template.interval);
  }

  /** The start of the window holding `timeUs` (`windowStartUs` inline for fixed intervals). */
  startOf(timeUs: number): number {
    const size = this.sizeUs;
    return size === 0 ? windowStartUs(timeUs, '1M') : Math.floor((timeUs - this.offsetUs) / size) * size + this.offsetUs;
  }

  /** The end of the window starting at `startUs`. */
  endOf(startUs: number): number {
    return this.sizeUs === 0 ? nextWindowStartUs(startUs, '1M') : startUs + this.sizeUs;
  }

  /** Index of the first bar starting at or after `startUs` (binary search). */
  private lowerBound(startUs: number): number {
    let lo = 0;
    let hi = this.bars.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.bars[mid].startUs < startUs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The held bar of the window starting at `startUs`, if any. */
  find(startUs: number): KlineBar | undefined {
    const last = this.bars[this.bars.length - 1];
    if (last !== undefined && last.startUs === startUs) return last;
    const i = this.lowerBound(startUs);
    return i < this.bars.length && this.bars[i].startUs === startUs ? this.bars[i] : undefined;
  }

  /** Holds a new bar in start order. */
  insert(bar: KlineBar): void {
    const last = this.bars[this.bars.length - 1];
    if (last === undefined || last.startUs < bar.startUs) this.bars.push(bar);
    else this.bars.splice(this.lowerBound(bar.startUs), 0, bar);
  }
}

/** The targets of an input stream (intervals coarser than a kline input's own), finest first. */
export function targetsFor(record: BarInput, intervals: readonly KlineInterval[] | 'all', tradeResolutionUs: number): Target[] {
  const fine = record.kind === 'kline' ? record.interval as KlineInterval : undefined;
  const resolutionUs = record.kind === 'kline' ? nextWindowStartUs(record.openTimeUs, fine as KlineInterval) - record.closeTimeUs : tradeResolutionUs;
  const chosen = [...new Set(intervals === 'all' ? KLINE_INTERVALS : intervals)]
    .filter((interval) => fine === undefined || isCoarserInterval(fine, interval))
    .sort((a, b) => KLINE_INTERVALS.indexOf(a) - KLINE_INTERVALS.indexOf(b));
  return chosen.map((interval, i) => new Target({
    exchange: 'binance', market: record.market, symbol: record.symbol,
    priceKind: record.kind === 'kline' ? record.priceKind : 'trade', interval,
    ingestId: `resample/${fine ?? record.kind}/${interval}`, closeResolutionUs: resolutionUs,
  }, i > 0 && isCoarserInterval(chosen[i - 1], interval)));
}

/** Dropped bars kept for reuse: enough for every stream's next window in a typical run. */
const SPARE_BARS = 4096;
const MISSED = 0;
const ABSORBED = 1;
const HANDED_UP = 2;
const DUPLICATE = 3;

/** Adds records to windows and closes them on the watermark. Memory: the bars it holds (`held`). */
export class WindowBook {
  /** Bars currently held, over all streams. */
  held = 0;
  /** Dropped bars kept for reuse (at most {@link SPARE_BARS}). */
  private readonly spare: KlineBar[] = [];

  constructor(private readonly latenessUs: number) {}

  /**
   * Adds a record to every target that needs it; returns the intervals it was too late for, if any. `id`
   * identifies the input within its stream (trade id, aggTrade id, kline window number): a bar counts each
   * id once, so a repeated input (an upgrade that `dedupe` let through) is not counted twice.
   */
  feed(targets: readonly Target[], record: BarInput, id: number, clock: WatermarkHolder, emit: Emit): KlineInterval[] | undefined {
    let missed: KlineInterval[] | undefined;
    let direct = true;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i];
      if (target.linked && !direct) continue;
      const outcome = this.add(target, record, id, clock, emit);
      if (outcome === DUPLICATE) return missed;
      if (outcome === MISSED) (missed ??= []).push(target.template.interval);
      direct = outcome !== ABSORBED;
    }
    return missed;
  }

  /** Emits the bars the watermark closed (finest target first, window order), hands them up, drops old ones. */
  close(targets: readonly Target[], clock: WatermarkHolder, emit: Emit): void {
    const watermarkUs = clock.watermarkUs;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i];
      if (watermarkUs < target.nextDueUs) continue;
      const parent = i + 1 < targets.length && targets[i + 1].linked ? targets[i + 1] : undefined;
      const bars = target.bars;
      let dropped = 0;
      let nextDueUs = Infinity;
      for (let j = 0; j < bars.length; j++) {
        const bar = bars[j];
        if (!bar.emitted && bar.endUs <= watermarkUs) {
          bar.emitted = true;
          emit(bar.toKline(target.template));
          if (parent !== undefined) {
            this.barFor(parent, parent.startOf(bar.startUs)).addBar(bar);
            bar.handedUp = true;
          }
        }
        const dropUs = bar.endUs + this.latenessUs;
        if (dropUs <= watermarkUs && dropped === j) {
          dropped++;
          if (target.current === bar) target.current = undefined;
        } else {
          nextDueUs = Math.min(nextDueUs, bar.emitted ? dropUs : bar.endUs);
        }
      }
      if (dropped > 0) {
        // Reused only once detached from this target (a parent may take a spare bar during the loop above).
        for (let k = 0; k < dropped; k++) {
          const bar = bars.shift() as KlineBar;
          if (this.spare.length < SPARE_BARS) this.spare.push(bar);
        }
        this.held -= dropped;
      }
      target.nextDueUs = nextDueUs;
    }
  }

  private add(target: Target, record: BarInput, id: number, clock: WatermarkHolder, emit: Emit): number {
    const t = record.eventTimeUs;
    const watermarkUs = clock.watermarkUs;
    let bar = target.current;
    if (bar === undefined || t < bar.startUs || t >= bar.endUs) {
      const startUs = target.startOf(t);
      bar = target.find(startUs);
      if (bar === undefined) {
        if (target.endOf(startUs) + this.latenessUs <= watermarkUs) return MISSED;
        bar = this.barFor(target, startUs);
      }
      target.current = bar;
    }
    if (!bar.seen.add(id)) return DUPLICATE;
    if (record.kind === 'kline') bar.addKline(record);
    else bar.addTrade(record);
    if (bar.endUs <= watermarkUs) {
      // A late record: the window was emitted already (or never existed); re-emit it now. Its coarser
      // targets get this record directly, as they got (or will never get) the rest of the bar.
      bar.emitted = true;
      bar.handedUp = true;
      emit(bar.toKline(target.template));
    }
    return bar.handedUp ? HANDED_UP : ABSORBED;
  }

  private barFor(target: Target, startUs: number): KlineBar {
    let bar = target.find(startUs);
    if (bar === undefined) {
      const endUs = target.endOf(startUs);
      bar = this.spare.length > 0 ? (this.spare.pop() as KlineBar).reset(startUs, endUs) : new KlineBar(startUs, endUs);
      target.insert(bar);
      this.held++;
      if (endUs < target.nextDueUs) target.nextDueUs = endUs;
    }
    return bar;
  }
}
