/**
 * `indicators`: VWAP, RSI, MACD and Bollinger Bands over closed bars of any interval, on event time, as
 * `indicator` records (the gold layer).
 */
import type { MonoTypeOperatorFunction } from 'rxjs';
import type { AnyRecord, DeadLetterRecord, KlineInterval, KlineRecord } from '../schemas/index.js';
import { Bollinger } from './bollinger.js';
import { Epochs } from './indicator-epochs.js';
import type { IndicatorCalc } from './indicator-calc.js';
import { parseIndicatorSpec, type IndicatorSpec } from './indicator-spec.js';
import { ADDED, DUPLICATE, IndicatorPlan, IndicatorStream } from './indicator-stream.js';
import { Macd } from './macd.js';
import { processRecords, type Emit, type RecordProcessor, type RunContext } from './record-processor.js';
import { LATE_RECORD } from './resample.js';
import { Rsi } from './rsi.js';
import { Vwap } from './vwap.js';

/** Options of {@link indicators}. */
export interface IndicatorsOptions {
  /** What to compute: specs, or their text (`rsi:14`, `macd:12:26:9`, `bb:20:2`, `vwap`, `vwap:20`). */
  indicators: readonly (IndicatorSpec | string)[];
  /** Only bars of these intervals. @default every interval */
  intervals?: readonly KlineInterval[];
  /**
   * A bar whose window ended this much event time (µs) before the newest bar of its stream opened can still
   * be corrected (a higher version) or arrive late, and its rows and the later ones it affects are recomputed.
   * @default 0: only the newest bar
   */
  allowedLatenessUs?: number;
  /** Emit the input records too (before the rows they cause). @default true */
  passThrough?: boolean;
  /** The stream key of a bar. @default streamKeyOf (schemas/identity.ts), looked up once per record for the run */
  keyOf?: (record: AnyRecord) => string;
  /** Receives, once per subscription, a function returning the number of bars held over all streams. */
  stateProbe?: (barsHeld: () => number) => void;
  /**
   * Asked once per bar stream, at its first bar: where the stream's input begins (`startUs`, µs: rows seeded
   * before it are not emitted, as a run that read from there cannot know them) and a `tag` that
   * {@link IndicatorsOptions.horizonProbe} reports the stream by. @default start −∞, tag 0
   */
  origin?: (bar: KlineRecord) => IndicatorOrigin;
  /**
   * Receives, once per subscription, a function that visits every bar stream with its origin tag and the
   * event time from which its bars must be read again for a fresh operator (with that `startUs`) to emit every
   * row this one may still emit or re-emit.
   */
  horizonProbe?: (visit: (each: (tag: number, neededFromUs: number) => void) => void) => void;
}

/** Where a bar stream's input begins, and what tells it apart in the horizon probe; see {@link IndicatorsOptions.origin}. */
export interface IndicatorOrigin {
  readonly startUs: number;
  readonly tag: number;
}

function calcOf(spec: IndicatorSpec): IndicatorCalc {
  switch (spec.name) {
    case 'rsi': return new Rsi(spec.period);
    case 'macd': return new Macd(spec.fast, spec.slow, spec.signal);
    case 'bb': return new Bollinger(spec.period, spec.k);
    case 'vwap': return new Vwap(spec.period);
  }
}

class IndicatorsProcessor implements RecordProcessor {
  private readonly specs: IndicatorSpec[];
  private readonly byNumber: (IndicatorStream | undefined)[] = [];
  private readonly byKey = new Map<string, IndicatorStream>();
  private readonly keyOf: ((record: AnyRecord) => string) | undefined;
  private readonly streams: IndicatorStream[] = [];
  /** By price kind and interval: what their streams share. */
  private readonly plans = new Map<string, IndicatorPlan>();
  private readonly passThrough: boolean;
  private readonly latenessUs: number;
  private readonly intervals: ReadonlySet<string> | undefined;
  private readonly origin: ((bar: KlineRecord) => IndicatorOrigin) | undefined;

  constructor(options: IndicatorsOptions, private readonly run: RunContext) {
    this.specs = options.indicators.map((s) => (typeof s === 'string' ? parseIndicatorSpec(s) : s));
    this.passThrough = options.passThrough ?? true;
    this.latenessUs = options.allowedLatenessUs ?? 0;
    this.intervals = options.intervals === undefined ? undefined : new Set(options.intervals);
    this.keyOf = options.keyOf;
    this.origin = options.origin;
    options.stateProbe?.(() => this.streams.reduce((n, s) => n + s.history.size, 0));
    options.horizonProbe?.((each) => { for (const stream of this.streams) each(stream.tag, stream.neededFromUs()); });
  }

  push(record: AnyRecord, emit: Emit): void {
    if (this.passThrough) emit(record);
    if (record.kind !== 'kline' || !record.isClosed) return;
    if (this.intervals !== undefined && !this.intervals.has(record.interval)) return;
    const outcome = this.streamOf(record).add(record, emit);
    if (outcome !== ADDED && outcome !== DUPLICATE) emit(lateLetter(record, this.latenessUs));
  }

  flush(): void {
    // Rows are emitted as their bars come: nothing is held back.
  }

  private streamOf(bar: KlineRecord): IndicatorStream {
    if (this.keyOf === undefined) {
      const number = this.run.streams.streamOf(bar).state;
      return this.byNumber[number] ?? (this.byNumber[number] = this.open(bar));
    }
    const key = this.keyOf(bar);
    let stream = this.byKey.get(key);
    if (stream === undefined) this.byKey.set(key, (stream = this.open(bar)));
    return stream;
  }

  private open(bar: KlineRecord): IndicatorStream {
    const template = { exchange: bar.exchange, market: bar.market, symbol: bar.symbol, priceKind: bar.priceKind, interval: bar.interval };
    const origin = this.origin?.(bar);
    const stream = new IndicatorStream(this.planOf(bar), template, this.latenessUs, origin?.startUs, origin?.tag);
    this.streams.push(stream);
    return stream;
  }

  private planOf(bar: KlineRecord): IndicatorPlan {
    const key = `${bar.priceKind}/${bar.interval}`;
    let plan = this.plans.get(key);
    if (plan === undefined) {
      // Mark, index and premium price klines carry no volume: no VWAP for them.
      const specs = bar.priceKind === 'trade' ? this.specs : this.specs.filter((s) => s.name !== 'vwap');
      this.plans.set(key, (plan = new IndicatorPlan(specs.map(calcOf), bar.priceKind, bar.interval as KlineInterval)));
    }
    return plan;
  }
}

/**
 * The earliest seed of the rows of `specs` over a bar of `interval` opening at `openUs` or later
 * (operators/indicator-epochs.ts): a run that reads a stream's bars from there emits, from `openUs` on, exactly
 * the rows of a run over the whole stream.
 */
export function indicatorsSeedUs(specs: readonly IndicatorSpec[], interval: KlineInterval, openUs: number): number {
  let seed = openUs;
  for (const spec of specs) {
    const calc = calcOf(spec);
    const epochs = new Epochs(interval, calc.epochWindows);
    seed = Math.min(seed, epochs.startUs(epochs.of(openUs) - calc.epochsBack));
  }
  return seed;
}

function lateLetter(bar: KlineRecord, latenessUs: number): DeadLetterRecord {
  return {
    kind: 'deadLetter', exchange: bar.exchange, market: bar.market, symbol: bar.symbol, eventTimeUs: bar.eventTimeUs,
    source: bar.source, receiveTimeUs: bar.receiveTimeUs, ingestId: bar.ingestId, version: bar.version, errorName: LATE_RECORD,
    reason: `late: the ${bar.interval} bar opening at ${bar.openTimeUs} µs is past its window end + allowed lateness ${latenessUs} µs of the newest bar; its indicators were not recomputed`,
    raw: JSON.stringify(bar), originFile: null, originLine: null,
  };
}

/**
 * Computes technical indicators over every closed kline stream (`isClosed`; per exchange, market, symbol,
 * price kind and interval — any interval, resampled bars included), one `indicator` row per bar and indicator
 * (`source: 'derived'`, eventTimeUs = openTimeUs of the bar):
 * - `rsi:N` — Wilder's RSI (operators/rsi.ts), first value at bar N + 1;
 * - `macd:F:S:G` — EMAs seeded with the first close (operators/macd.ts), first value at bar S + G − 1;
 * - `bb:N:K` — SMA ± K population σ of N closes (operators/bollinger.ts), first value at bar N;
 * - `vwap` per UTC session day, `vwap:N` over N bars (operators/vwap.ts); trade klines only.
 * Rows before the first value are emitted as warm-up rows (`warmUp: true`, values null), never guessed.
 *
 * Seeds (operators/indicator-epochs.ts): each row is computed from the bars since its seed — the start of the
 * epoch before the bar's, or its UTC day for session VWAP — and no others, so runs that began reading anywhere
 * before the seed give identical rows; with `origin`, a row seeded before the stream's input began is not
 * emitted (a re-read cannot know it), and `horizonProbe` tells how far back a fresh run must read.
 *
 * Versions: `derived` rank (warm-up rows the lowest, `fill`, so that no store replaces a value by a warm-up
 * row of the same bar), sequence = the newest input sequence of the bars since the row's seed — so
 * streaming and batch runs over the same bars give identical rows.
 *
 * Lateness and corrections: a bar that comes out of order, or again with a higher version (an archive bar
 * replacing the live one), while its window end + `allowedLatenessUs` is after the newest bar's open time, is
 * put in place and every later row is recomputed from the state before it; exactly the rows whose values
 * (or bar count) changed are emitted again, each with a higher version than before. A bar later than that
 * becomes a `deadLetter` (`errorName: 'LateRecord'`); a copy with a version not above the held one is ignored.
 *
 * Memory: per stream, the bars on time plus the longest window before them (8 doubles each), and for the bars
 * on time and the one before them the indicators' outputs and state (a few dozen doubles) — never per record
 * beyond that.
 */
export function indicators(options: IndicatorsOptions): MonoTypeOperatorFunction<AnyRecord> {
  const specs = options.indicators.map((s) => (typeof s === 'string' ? parseIndicatorSpec(s) : s));
  return processRecords((run) => new IndicatorsProcessor({ ...options, indicators: specs }, run));
}
