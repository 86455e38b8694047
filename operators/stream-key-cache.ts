/**
 * Per-stream state found by a record's stream without building its key. `streamKeyOf` builds a new string
 * per record, and hashing that fresh string on every Map lookup dominated the hot path; {@link StreamIndex}
 * finds the stream by the record's symbol (one lookup) and a few field comparisons, allocating nothing for
 * streams it has seen.
 *
 * Every operator keeps its per-stream state in one {@link StreamClock} (one class for all of them): the entry
 * of the index, the event-time clock and the operator's state are one object, so the hot path touches one
 * object instead of three, and the shared lookup code sees a single shape however many operators are
 * chained. Both mattered (bench/operators.ts; the figures are in docs/PERFORMANCE.md).
 * Memory: one clock per stream seen.
 */
import { streamKeyOf, type AnyRecord } from '../schemas/index.js';

/**
 * Where a stream's watermark is read. Window and retention code takes the holder, not the number: a µs time
 * passed to (or returned from) a call that is not inlined is boxed into a fresh heap number — once per record
 * and call on the hot path, which was half of what validate → dedupe → resample allocated (bench/operators.ts).
 */
export interface WatermarkHolder {
  readonly watermarkUs: number;
}

/** The watermark at the end of the input: every window closes, every identity is forgotten. */
export const END_OF_INPUT: WatermarkHolder = Object.freeze({ watermarkUs: Infinity });

/** One stream: its key, its event-time clock (see watermark.ts), the operator's state, and its index entry. */
export class StreamClock<S = undefined> implements WatermarkHolder {
  /** Highest event time seen, µs. */
  maxEventUs = -Infinity;
  /** The stream's watermark, µs (never goes back). */
  watermarkUs = -Infinity;
  /** When the stream last received a record (ms on the operator's scheduler; idle detection). */
  lastSeenMs = 0;
  // The index entry: what tells streams of one symbol apart, and the next stream of the same symbol.
  kind = '';
  market = '';
  exchange = '';
  priceKind: string | undefined = undefined;
  interval: string | undefined = undefined;
  next: StreamClock<S> | undefined = undefined;

  constructor(readonly key: string, readonly state: S) {}
}

function matches(clock: StreamClock<unknown>, record: AnyRecord): boolean {
  if (clock.kind !== record.kind || clock.market !== record.market || clock.exchange !== record.exchange) return false;
  return record.kind !== 'kline' || (clock.priceKind === record.priceKind && clock.interval === record.interval);
}

/** Streams by stream key (as `streamKeyOf` defines it), each created on first sight by `create(key)`. */
export class StreamIndex<S> {
  private readonly bySymbol = new Map<string, StreamClock<S>>();
  private readonly byGapStream = new Map<string, StreamClock<S>>();

  /** `create` may return a clock made earlier for the same key (by key, outside this index). */
  constructor(private readonly create: (key: string) => StreamClock<S>) {}

  /** The stream of a record. */
  get(record: AnyRecord): StreamClock<S> {
    if (record.kind === 'gap') {
      let clock = this.byGapStream.get(record.stream);
      if (clock === undefined) this.byGapStream.set(record.stream, (clock = this.create(record.stream)));
      return clock;
    }
    const first = this.bySymbol.get(record.symbol);
    for (let clock = first; clock !== undefined; clock = clock.next) if (matches(clock, record)) return clock;
    const clock = this.create(streamKeyOf(record));
    clock.kind = record.kind;
    clock.market = record.market;
    clock.exchange = record.exchange;
    clock.priceKind = record.kind === 'kline' ? record.priceKind : undefined;
    clock.interval = record.kind === 'kline' ? record.interval : undefined;
    clock.next = first;
    this.bySymbol.set(record.symbol, clock);
    return clock;
  }
}

/**
 * The stream lookup shared by the record operators fused into one run (see record-processor.ts): the first
 * operator that asks for a record's stream looks it up, the operators after it get the answer for the same
 * record object from a one-entry memo — one lookup per record for the whole run instead of one per stateful
 * operator. Each stream gets a small number, by which an operator keeps its own clock in an array.
 * The memo is cleared before every input record, so a record object reused by its producer (a parser's
 * scratch record) is looked up afresh each time.
 *
 * A chain may also share one instance across several runs and operators (the serving engine: its own input
 * bookkeeping, mergeSources, the runs after it; the `streams` option of watermark.ts); then the memo is never
 * cleared by a run, so every record must stay unchanged once it entered, and an operator that emits a record it
 * held (the merge releasing its queue) {@link SharedStreams.remember}s its stream first: the operators after
 * it find the stream in the memo, one lookup per record for the whole chain.
 * Memory: one entry per stream seen.
 */
export class SharedStreams {
  private readonly index = new StreamIndex<number>((key) => new StreamClock(key, this.count++));
  private count = 0;
  private last: AnyRecord | undefined = undefined;
  private lastStream: StreamClock<number> | undefined = undefined;
  /** Lookups in the index so far (those the memo did not answer). */
  lookups = 0;

  /** The stream of a record: its key and its number (`state`). */
  streamOf(record: AnyRecord): StreamClock<number> {
    if (record === this.last) return this.lastStream as StreamClock<number>;
    this.lookups++;
    const stream = this.index.get(record);
    this.last = record;
    this.lastStream = stream;
    return stream;
  }

  /** Sets the memo: `stream` (one this instance gave out) is the stream of `record`. */
  remember(record: AnyRecord, stream: StreamClock<number>): void {
    this.last = record;
    this.lastStream = stream;
  }

  /** Forgets the memo (before each input record). */
  clear(): void {
    this.last = undefined;
  }
}

/** A `streamKeyOf` with identical results that returns the same string object for a stream every time. */
export function cachedStreamKeyOf(): (record: AnyRecord) => string {
  const index = new StreamIndex((key) => new StreamClock(key, undefined));
  return (record) => index.get(record).key;
}
