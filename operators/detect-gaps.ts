/**
 * `detectGaps`: holes in klines by cadence and in trades / aggTrades by id continuity, as `gap` records.
 */
import type { MonoTypeOperatorFunction } from 'rxjs';
import {
  makeVersion, nextWindowStartUs, windowStartUs, type AnyRecord, type GapCause, type GapRecord,
  type GapState, type KlineInterval, type Market, type PriceKind, type Source,
} from '../schemas/index.js';
import { processRecords, type Emit, type RecordProcessor, type RunContext } from './record-processor.js';
import { StreamClock, type SharedStreams } from './stream-key-cache.js';

const STATE_ORDER: Record<GapState, number> = { open: 0, reported: 1, partial: 2, unfillable: 3, filled: 4 };

/**
 * The version of a gap record: one rank for all gaps, the sequence ordered by state, so for one
 * (stream, fromUs, toUs) a later fate (`reported`, `partial`, `unfillable`, `filled`) supersedes `open`.
 */
export function gapVersion(state: GapState): number {
  return makeVersion('rest', STATE_ORDER[state]);
}

/** A kline stream expected in the requested range (one whole-range gap when it never shows up). */
export interface ExpectedKlineStream {
  readonly market: Market;
  readonly symbol: string;
  readonly interval: KlineInterval;
  /** @default 'trade' */
  readonly priceKind?: PriceKind;
}

/** Options of {@link detectGaps}. */
export interface DetectGapsOptions {
  /** The requested range `[fromUs, toUs)`: kline streams get leading and trailing gaps against it. @default none */
  range?: { readonly fromUs: number; readonly toUs: number };
  /** Kline streams that must appear in `range`; each one that never does becomes a whole-range gap. @default [] */
  expect?: readonly ExpectedKlineStream[];
  /**
   * The cause of a detected gap. @default id holes `sequence_break`; kline holes `ws_disconnect` when the
   * record after the hole came from ws, else `archive_missing`.
   */
  causeOf?: (gap: GapRecord) => GapCause;
  /** The stream key of a record. @default streamKeyOf */
  keyOf?: (record: AnyRecord) => string;
  /** The stream lookup of a whole chain (see WatermarkOptions.streams). @default the run's own */
  streams?: SharedStreams;
}

interface StreamCursor {
  readonly template: Pick<GapRecord, 'exchange' | 'market' | 'symbol' | 'dataType' | 'interval'>;
  /** Next expected kline open time, or next expected id. */
  next: number;
  /** Event time of the last record (id streams: where the hole starts). */
  lastEventUs: number;
  source: Source;
  ingestId: string;
}

type Template = StreamCursor['template'];

/** Where a stream's cursor is kept, once the stream has one. */
interface CursorSlot { cursor: StreamCursor | undefined }

class DetectGapsProcessor implements RecordProcessor {
  private readonly cursors = new Map<string, StreamCursor>();
  /** The stream of a record, with its cursor slot: found by the default key without building it, else by `keyOf`. */
  private readonly slotOf: (record: AnyRecord) => StreamClock<CursorSlot>;

  constructor(private readonly options: DetectGapsOptions, run: RunContext) {
    const keyOf = options.keyOf;
    if (keyOf === undefined) {
      // The run's lookup: the operator before this one (dedupe) looked the record up already.
      const shared = options.streams ?? run.streams;
      const byNumber: (StreamClock<CursorSlot> | undefined)[] = [];
      this.slotOf = (record) => {
        const stream = shared.streamOf(record);
        let slot = byNumber[stream.state];
        if (slot === undefined) {
          while (byNumber.length < stream.state) byNumber.push(undefined);
          byNumber[stream.state] = slot = new StreamClock<CursorSlot>(stream.key, { cursor: undefined });
        }
        return slot;
      };
    } else {
      const slots = new Map<string, StreamClock<CursorSlot>>();
      this.slotOf = (record) => {
        const key = keyOf(record);
        let slot = slots.get(key);
        if (slot === undefined) slots.set(key, (slot = new StreamClock<CursorSlot>(key, { cursor: undefined })));
        return slot;
      };
    }
  }

  /** Starts a stream's cursor. */
  private start(slot: StreamClock<CursorSlot>, cursor: StreamCursor): StreamCursor {
    slot.state.cursor = cursor;
    this.cursors.set(slot.key, cursor);
    return cursor;
  }

  push(record: AnyRecord, emit: Emit): void {
    if (record.kind === 'kline') this.kline(record.interval as KlineInterval, record, emit);
    else if (record.kind === 'trade') this.id(record.tradeId, record, emit);
    else if (record.kind === 'aggTrade') this.id(record.aggTradeId, record, emit);
    emit(record);
  }

  flush(emit: Emit): void {
    const range = this.options.range;
    if (range === undefined) return;
    for (const [stream, cursor] of this.cursors) {
      if (cursor.template.dataType !== 'kline') continue;
      const fromUs = Math.max(cursor.next, alignUp(range.fromUs, cursor.template.interval as KlineInterval));
      if (fromUs >= range.toUs) continue;
      emit(this.gap(stream, cursor.template, fromUs, range.toUs, null, null, cursor, `trailing: no ${cursor.template.interval} kline from ${fromUs} µs to the end of the range`));
    }
    for (const expected of this.options.expect ?? []) {
      const template: Template = { exchange: 'binance', market: expected.market, symbol: expected.symbol, dataType: 'kline', interval: expected.interval };
      const stream = `binance.${expected.market}.kline.${expected.priceKind ?? 'trade'}.${expected.interval}.${expected.symbol}`;
      if (this.cursors.has(stream)) continue;
      const fromUs = alignUp(range.fromUs, expected.interval);
      const origin = { source: 'archive' as const, ingestId: 'detectGaps/expect' };
      if (fromUs < range.toUs) emit(this.gap(stream, template, fromUs, range.toUs, null, null, origin, 'no kline of the stream in the whole range'));
    }
  }

  private kline(interval: KlineInterval, record: AnyRecord & { openTimeUs: number }, emit: Emit): void {
    const slot = this.slotOf(record);
    const stream = slot.key;
    const range = this.options.range;
    let cursor = slot.state.cursor;
    if (cursor === undefined) {
      const template: Template = { exchange: record.exchange, market: record.market, symbol: record.symbol, dataType: 'kline', interval };
      cursor = this.start(slot, { template, next: record.openTimeUs, lastEventUs: record.eventTimeUs, source: record.source, ingestId: record.ingestId });
      const fromUs = range === undefined ? record.openTimeUs : alignUp(range.fromUs, interval);
      const toUs = range === undefined ? fromUs : Math.min(record.openTimeUs, range.toUs);
      if (fromUs < toUs) emit(this.gap(stream, template, fromUs, toUs, null, null, record, `leading: first ${interval} kline at ${record.openTimeUs} µs`));
    } else if (record.openTimeUs > cursor.next) {
      const fromUs = range === undefined ? cursor.next : Math.max(cursor.next, range.fromUs);
      const toUs = range === undefined ? record.openTimeUs : Math.min(record.openTimeUs, range.toUs);
      if (fromUs < toUs) emit(this.gap(stream, cursor.template, fromUs, toUs, null, null, record, `interior: no ${interval} kline from ${fromUs} µs to ${toUs} µs`));
    }
    cursor.next = Math.max(cursor.next, nextWindowStartUs(record.openTimeUs, interval));
    cursor.source = record.source;
    cursor.ingestId = record.ingestId;
  }

  private id(id: number, record: AnyRecord, emit: Emit): void {
    const slot = this.slotOf(record);
    const stream = slot.key;
    const cursor = slot.state.cursor;
    if (cursor === undefined) {
      const template: Template = { exchange: record.exchange, market: record.market, symbol: record.symbol, dataType: record.kind, interval: null };
      this.start(slot, { template, next: id + 1, lastEventUs: record.eventTimeUs, source: record.source, ingestId: record.ingestId });
      return;
    }
    if (id < cursor.next) return;
    if (id > cursor.next) {
      emit(this.gap(stream, cursor.template, cursor.lastEventUs, record.eventTimeUs + 1, cursor.next, id - 1, record, `ids ${cursor.next}..${id - 1} missing`));
    }
    cursor.next = id + 1;
    cursor.lastEventUs = record.eventTimeUs;
  }

  private gap(
    stream: string, template: Template, fromUs: number, toUs: number, fromId: number | null, toId: number | null,
    origin: { source: Source; ingestId: string }, detail: string,
  ): GapRecord {
    const cause: GapCause = fromId !== null ? 'sequence_break' : origin.source === 'ws' ? 'ws_disconnect' : 'archive_missing';
    const gap: GapRecord = {
      kind: 'gap', exchange: template.exchange, market: template.market, symbol: template.symbol, eventTimeUs: fromUs,
      source: origin.source, receiveTimeUs: null, ingestId: origin.ingestId, version: gapVersion('open'),
      stream, dataType: template.dataType, interval: template.interval, fromUs, toUs, fromId, toId, cause,
      state: 'open', filledCount: 0, detail,
    };
    if (this.options.causeOf !== undefined) gap.cause = this.options.causeOf(gap);
    return gap;
  }
}

function alignUp(timeUs: number, interval: KlineInterval): number {
  const start = windowStartUs(timeUs, interval);
  return start === timeUs ? start : nextWindowStartUs(start, interval);
}

/**
 * Finds holes per stream key and emits a `gap` record (state `open`, filledCount 0) just before the record
 * that revealed it; every input record passes through unchanged.
 * - Klines, by cadence: a kline whose open time is past the next expected window opens an interior gap
 *   `[expected, openTime)`. With `range`, the first kline of a stream after the range start opens a leading
 *   gap, completion closes a trailing gap `[after last kline, range end)`, and each `expect`ed stream that
 *   never appeared gets one whole-range gap; gaps are clipped to the range. Repeated klines of the same
 *   window (live updates) are no gap.
 * - Trades / aggTrades, by id: id > last + 1 opens a gap with `fromId = last + 1`, `toId = id − 1`,
 *   `fromUs` = time of the last trade, `toUs` = time of the next + 1 µs (the missing trades lie in between).
 *   Leading and trailing id holes are not knowable from ids and are not reported.
 * Input must be in event-time order per stream (put it after `watermark`/`mergeSources`); a record older
 * than its stream's cursor is ignored for detection. The gap's version is {@link gapVersion}('open').
 *
 * Memory: one cursor (next expected time or id) per stream.
 */
export function detectGaps(options: DetectGapsOptions = {}): MonoTypeOperatorFunction<AnyRecord> {
  return processRecords((run) => new DetectGapsProcessor(options, run));
}
