/**
 * `fillGaps`: decides the fate of each open `gap` record by policy — authentic data over REST, synthetic
 * flat bars, or report only — and emits every gap and its fate for the ledger.
 */
import { from, Observable, Subscriber, Subscription, type MonoTypeOperatorFunction, type ObservableInput } from 'rxjs';
import type { AnyRecord, GapRecord, KlineRecord } from '../schemas/index.js';
import { failedFill, flatFill, gapFate, restFill, type GapFill } from './gap-fill-plan.js';
import { StreamClock, StreamIndex } from './stream-key-cache.js';

/** `rest`: fetch authentic data; `flat`: synthetic bars at the previous close; `none`: report only. */
export const GAP_FILL_POLICIES = ['rest', 'flat', 'none'] as const;
/** One of {@link GAP_FILL_POLICIES}. */
export type GapFillPolicy = (typeof GAP_FILL_POLICIES)[number];

/** Options of {@link fillGaps}. */
export interface FillGapsOptions {
  /** What to do with an open gap. */
  policy: GapFillPolicy;
  /**
   * Policy `rest`: the records of the gap's stream in `[fromUs, toUs)` (and ids `fromId..toId`), from an
   * injected REST client. Errors of the returned observable mark the gap `unfillable`; a synchronous throw
   * is a bug and errors the stream. Required for `rest`.
   */
  fetch?: (gap: GapRecord) => ObservableInput<AnyRecord>;
}

class FillGapsSubscriber extends Subscriber<AnyRecord> {
  /**
   * The last kline per stream (the flat policy's previous close), found without building key strings. A gap
   * names its stream by key: both ways reach the same stream through `byKey`.
   */
  private readonly byKey = new Map<string, StreamClock<{ kline: KlineRecord | undefined }>>();
  private readonly previous = new StreamIndex((key) => {
    let clock = this.byKey.get(key);
    if (clock === undefined) this.byKey.set(key, (clock = new StreamClock(key, { kline: undefined })));
    return clock;
  });
  private readonly waiting: AnyRecord[] = [];
  private busy = false;
  private sourceDone = false;

  constructor(private readonly out: Subscriber<AnyRecord>, private readonly options: FillGapsOptions) {
    super(out);
    if (options.policy === 'rest' && options.fetch === undefined) throw new TypeError('fillGaps: policy rest needs a fetch function');
  }

  protected override _next(record: AnyRecord): void {
    if (this.busy) this.waiting.push(record);
    else this.guard(() => this.handle(record));
  }

  protected override _complete(): void {
    this.sourceDone = true;
    if (!this.busy) this.finishIfDone();
  }

  private handle(record: AnyRecord): void {
    if (record.kind === 'kline') this.previous.get(record).state.kline = record;
    if (record.kind !== 'gap' || record.state !== 'open') {
      this.out.next(record);
      return;
    }
    switch (this.options.policy) {
      case 'none':
        this.out.next(record);
        return this.emitFill({ fates: [gapFate(record, 'reported', 0, record.detail ?? 'reported (policy none)')], records: [] });
      case 'flat':
        this.out.next(record);
        return this.emitFill(flatFill(record, this.previous.get(record).state.kline));
      case 'rest':
        return this.fetch(record, from((this.options.fetch as NonNullable<FillGapsOptions['fetch']>)(record)));
    }
  }

  private fetch(gap: GapRecord, request: Observable<AnyRecord>): void {
    this.out.next(gap);
    const fetched: AnyRecord[] = [];
    const inFlight = new Subscription();
    this.add(inFlight);
    this.busy = true;
    const settle = (fill: GapFill): void => {
      this.remove(inFlight);
      this.busy = false;
      this.guard(() => {
        this.emitFill(fill);
        this.drain();
      });
    };
    inFlight.add(request.subscribe({
      next: (record) => fetched.push(record),
      error: (error: unknown) => settle(failedFill(gap, error)),
      complete: () => settle(restFill(gap, fetched)),
    }));
  }

  private emitFill(fill: GapFill): void {
    const records = [...fill.fates, ...fill.records].sort((a, b) => a.eventTimeUs - b.eventTimeUs);
    for (const record of records) {
      if (record.kind === 'kline') this.previous.get(record).state.kline = record;
      this.out.next(record);
    }
  }

  private drain(): void {
    let i = 0;
    while (!this.busy && i < this.waiting.length && !this.closed) this.handle(this.waiting[i++]);
    this.waiting.splice(0, i);
    if (!this.busy) this.finishIfDone();
  }

  private finishIfDone(): void {
    if (this.sourceDone && this.waiting.length === 0 && !this.closed) {
      this.out.complete();
      this.unsubscribe();
    }
  }

  private guard(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.out.error(error);
      this.unsubscribe();
    }
  }
}

/**
 * Gives every open `gap` record a fate by `policy` and passes all other records through in order:
 * - `rest`: asks `fetch` for the gap's records; what belongs to the gap is emitted tagged `source: 'rest'`
 *   with its fate (`filled`, `partial` + new `exchange_outage` gaps for what is still missing, `unfillable`
 *   with cause `exchange_outage` when REST had nothing, or cause `unfillable` when the fetch failed).
 *   Gaps are fetched one at a time; records behind a gap wait for its fetch, so output order is kept.
 * - `flat`: synthetic klines (`source: 'fill'`, rank below every real source) for each missing window at
 *   the previous kline's close, zero volumes and trade count; leading gaps and trade gaps are `unfillable`.
 * - `none`: the fate is `reported`.
 * Emission per gap: the open gap as received, then its fate(s) and the filling records sorted by event time
 * (fate version = gapVersion(state), superseding `open`). Non-open gaps pass through untouched.
 *
 * Memory: the last kline per stream (the flat policy's previous close) and, during a REST fetch, the
 * records that arrive meanwhile (bounded by fetch latency × input rate).
 */
export function fillGaps(options: FillGapsOptions): MonoTypeOperatorFunction<AnyRecord> {
  return (source) => new Observable<AnyRecord>((subscriber) => {
    source.subscribe(new FillGapsSubscriber(subscriber, options));
  });
}
