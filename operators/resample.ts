/**
 * `resample`: klines to every coarser interval, and trades / aggTrades to klines, on event time.
 */
import type { MonoTypeOperatorFunction } from 'rxjs';
import { fixedIntervalUs, US_PER_DAY, type AnyRecord, type DeadLetterRecord, type KlineInterval } from '../schemas/index.js';
import { targetsFor, WindowBook, type BarInput, type Target } from './kline-windows.js';
import { processRecords, type Emit, type RecordProcessor, type RunContext } from './record-processor.js';
import { END_OF_INPUT } from './stream-key-cache.js';
import { WatermarkTracker, type WatermarkOptions } from './watermark.js';

/** The `errorName` of the dead letters that carry records too late for their bars. */
export const LATE_RECORD = 'LateRecord' as const;

/** Options of {@link resample}. */
export interface ResampleOptions extends WatermarkOptions {
  /**
   * Target intervals, or `'all'` for every Binance interval. Klines feed every strictly coarser target they
   * tile exactly (a 1m stream with `'all'` gives 3m … 1M); trades feed all.
   */
  intervals: readonly KlineInterval[] | 'all';
  /** After a window closed, records this much event time (µs) later still update it and re-emit the bar. @default 0 */
  allowedLatenessUs?: number;
  /**
   * closeTimeUs of bars built from trades = next window start − this. Binance writes ms-era klines with
   * −1 ms (1000) and µs-era spot klines (2025+) with −1 µs (1). Bars from klines copy the resolution of
   * their inputs. @default 1000
   */
  closeTimeResolutionUs?: number;
  /** Emit the input records too (before the bars they close). @default true */
  passThrough?: boolean;
  /** Receives, once per subscription, a function returning the number of windows held (for monitoring). */
  stateProbe?: (keysHeld: () => number) => void;
}

/** What `resample` holds per input stream (besides its clock). */
class ResampleStream {
  targets: Target[] | undefined = undefined;
  /** Length of the stream's kline interval (window numbers are input ids); 0 until known. */
  windowUs = 0;
}

class ResampleProcessor implements RecordProcessor {
  private readonly tracker: WatermarkTracker<ResampleStream>;
  private readonly latenessUs: number;
  private readonly passThrough: boolean;
  private readonly book: WindowBook;

  constructor(private readonly options: ResampleOptions, run: RunContext) {
    this.tracker = new WatermarkTracker(options, () => new ResampleStream(), run.streams);
    this.latenessUs = options.allowedLatenessUs ?? 0;
    this.passThrough = options.passThrough ?? true;
    this.book = new WindowBook(this.latenessUs);
    options.stateProbe?.(() => this.book.held);
  }

  push(record: AnyRecord, emit: Emit): void {
    if (record.kind !== 'kline' && record.kind !== 'trade' && record.kind !== 'aggTrade') {
      if (this.passThrough) emit(record);
      return;
    }
    const clock = this.tracker.clockFor(record);
    if (this.passThrough) emit(record);
    const stream = clock.state;
    const targets = stream.targets ?? (stream.targets = targetsFor(record, this.options.intervals, this.options.closeTimeResolutionUs ?? 1000));
    const watermarkUs = clock.watermarkUs;
    const missed = record.kind === 'kline' && !record.isClosed ? undefined : this.book.feed(targets, record, inputId(record, stream), clock, emit);
    if (missed !== undefined) emit(lateLetter(record, missed, watermarkUs, this.latenessUs));
    this.tracker.advance(clock, record);
    if (clock.watermarkUs > watermarkUs) this.book.close(targets, clock, emit);
    if (this.tracker.detectsIdle) for (const idle of this.tracker.advanceIdle()) this.book.close(idle.state.targets ?? [], idle, emit);
  }

  flush(emit: Emit): void {
    for (const clock of this.tracker.clocksNow()) this.book.close(clock.state.targets ?? [], END_OF_INPUT, emit);
  }
}

/** The id of an input within its stream: trade / aggTrade id, or the kline's window number. */
function inputId(record: BarInput, stream: ResampleStream): number {
  switch (record.kind) {
    case 'trade': return record.tradeId;
    case 'aggTrade': return record.aggTradeId;
    case 'kline':
      if (stream.windowUs === 0) stream.windowUs = fixedIntervalUs(record.interval as KlineInterval) ?? US_PER_DAY;
      return Math.floor(record.openTimeUs / stream.windowUs);
  }
}

function lateLetter(record: BarInput, intervals: KlineInterval[], watermarkUs: number, latenessUs: number): DeadLetterRecord {
  return {
    kind: 'deadLetter', exchange: record.exchange, market: record.market, symbol: record.symbol,
    eventTimeUs: record.eventTimeUs, source: record.source, receiveTimeUs: record.receiveTimeUs,
    ingestId: record.ingestId, version: record.version, errorName: LATE_RECORD,
    reason: `late: not in the ${intervals.join(', ')} bars; event time ${record.eventTimeUs} µs is past window end + allowed lateness ${latenessUs} µs at watermark ${watermarkUs} µs`,
    raw: JSON.stringify(record), originFile: null, originLine: null,
  };
}

/**
 * Aggregates klines into every coarser interval of `intervals` (UTC-aligned; weeks start Monday; `1M` is the
 * calendar month) and trades / aggTrades into klines of every interval, per stream key. A bar is emitted
 * (`source: 'resample'`, `isClosed: true`) when its stream's watermark reaches the window end, or on
 * completion. Fields: open/close = price of the first/last input by open time (klines) or by id (trades);
 * high/low = extremes; volume, quoteVolume (trades: Σ quoteQty, else Σ price·qty), contracts, baseVolume
 * (COIN-M trades: Σ baseQty; aggTrades have none, so null), tradeCount (aggTrades: Σ last − first + 1) and the
 * taker-buy sums (inputs with isBuyerMaker false) are float64 sums; a field is null when no input had it.
 * Only windows that received input get a bar. Binance publishes a kline for a minute without trades
 * (previous close, zero volume): `detectGaps` + `fillGaps({ policy: 'flat' })` after resample reproduce it;
 * such synthetic (`source: 'fill'`) klines set a coarser bar's prices only when it has no real input, so
 * 1m bars with fills resample to the same 5m/1h bars as without them.
 *
 * Each input counts once: a bar remembers the ids of its inputs (trade / aggTrade ids, kline window numbers;
 * as compact ranges), so a later copy that `dedupe` let through as a higher version (a live trade, then its
 * archive copy) adds nothing — the first copy's values stand; live klines that are not closed yet
 * (`isClosed: false`) pass through without being aggregated.
 *
 * Intervals that tile the next finer target exactly are linked: a record updates only the finest target
 * and closed bars are handed up whole (one update per record however many intervals), while a late record
 * whose bar was already handed up goes to the coarser targets directly too — each record counts once per
 * interval.
 *
 * Precision: OHLC, times and counts are exact. Sums are float64 sums of exact decimal inputs, so they match
 * the exchange's (decimal) sums to a relative error of about 1e-12; compare them with a relative tolerance.
 *
 * Lateness: a record for an already emitted window updates it and re-emits the bar with a higher version
 * (version sequence = newest input sequence + revision, so the output is deterministic) while
 * `windowEnd + allowedLatenessUs > watermark`; a record for a window beyond that is emitted as a
 * `deadLetter` (`errorName: 'LateRecord'`, reason naming the intervals it missed, `raw` = the record as
 * JSON) — the late output. With passThrough, the input record itself still flows downstream.
 *
 * Memory: per stream and target the open windows plus the emitted ones within the allowed lateness
 * (a handful per stream), each with its input ids as ranges (two numbers per run of consecutive ids) —
 * never per record.
 */
export function resample(options: ResampleOptions): MonoTypeOperatorFunction<AnyRecord> {
  return processRecords((run) => new ResampleProcessor(options, run));
}
