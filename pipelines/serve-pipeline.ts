/**
 * The serving dataflow, the lambda architecture's merge point, as one visible pipe. Both layers of every stream
 * come in (the batch layer's archive rows, the speed layer's live and REST rows, read from Kafka), and
 * corrected data goes out: one row per identity (the highest version), gap records, bars and indicator values.
 *
 *   batch layer ─ validate ─┐
 *                           ├─ mergeSources (the watermark) ─ dedupe ─ detectGaps ─ fillGaps ─ resample ─ indicators ─▶ sinks
 *   speed layer ─ validate ─┘
 *
 * The operators are the shared ones of operators/ (the same the batch commands and the tests use), each with
 * its state per stream key on event time. mergeSources' event-time queue is the chain's watermark stage: it
 * releases each stream in event-time order once the stream's watermark (its newest record − the allowed
 * lateness) passes, so a `watermark` operator after it would only hold every record a second time for the
 * same lateness (it did, until 2026-12-08; dedupe never reorders, so the order it passes on is the merge's).
 * With `streams`, every operator finds a record's stream through that one lookup.
 */
import { from, identity, type Observable, type SchedulerLike } from 'rxjs';
import { dedupe } from '../operators/dedupe.js';
import { detectGaps } from '../operators/detect-gaps.js';
import { fillGaps, type GapFillPolicy } from '../operators/fill-gaps.js';
import type { IndicatorSpec } from '../operators/indicator-spec.js';
import { indicators, type IndicatorsOptions } from '../operators/indicators.js';
import { mergeSources } from '../operators/merge-sources.js';
import { resample } from '../operators/resample.js';
import type { SharedStreams } from '../operators/stream-key-cache.js';
import { validate } from '../operators/validate.js';
import type { KlineInterval } from '../schemas/interval.js';
import type { AnyRecord, GapRecord } from '../schemas/records.js';

/** Options of {@link servePipeline}. */
export interface ServePipelineOptions {
  /** Bar intervals built from trades / aggTrades (and from klines, every coarser one); empty: no bars. */
  readonly intervals: readonly KlineInterval[];
  /** Indicators over every closed bar stream (`--indicators`); empty or absent: none. */
  readonly indicators?: readonly IndicatorSpec[];
  /** How far (µs of event time) a record may trail its stream and still count everywhere (`--allowed-lateness`). */
  readonly allowedLatenessUs: number;
  /** What happens to a gap (`--fill`). */
  readonly fill: GapFillPolicy;
  /** REST records of a gap, for `fill: 'rest'`. */
  readonly fetchGap?: (gap: GapRecord) => AsyncIterable<AnyRecord>;
  /**
   * A layer silent on a stream this long (ms, processing time) no longer holds the stream back. @default 0: a
   * stream's merge watermark is the newest layer's, so the output depends on the input alone (a re-read rebuilds
   * the same state) and a layer that is days behind (an archive loaded after the live data) never stalls the
   * other; its copies arrive late and are settled by version (dedupe, the sinks).
   */
  readonly mergeIdleTimeoutMs?: number;
  /** Where each bar stream's input begins, for the indicators (see IndicatorsOptions.origin). */
  readonly indicatorOrigin?: IndicatorsOptions['origin'];
  /** Receives the indicators' probe of what their streams must re-read (see IndicatorsOptions.horizonProbe). */
  readonly indicatorHorizonProbe?: IndicatorsOptions['horizonProbe'];
  /** Receives the merge's probe of the records it holds per stream key (what the input offsets must keep). */
  readonly mergeProbe?: (oldestHeldUs: (key: string) => number) => void;
  /** Receives the count of copies dropped so far: collapsed in the merge or dropped by dedupe (dedupe hits, a metric). */
  readonly dedupeProbe?: (dropped: () => number) => void;
  readonly scheduler?: SchedulerLike;
  /**
   * The stream lookup of the whole chain (the serving engine's, which looks each record up on entry): every
   * record pushed must stay unchanged from then on. @default one per run of operators
   */
  readonly streams?: SharedStreams;
}

/**
 * The serving chain: `batch` and `speed` are the two layers' records (any kinds, each in its partition's
 * order); the output holds every input record that survives dedupe (highest version first seen, corrections
 * after), `gap` records (detected holes, the live layer's in-band gaps) with their fates, the fills, bars
 * (`kline`, `source: 'resample'`), indicator values (`indicator`, with `--indicators`) and dead letters (rejected
 * by validate, or too late for their bars).
 */
export function servePipeline(layers: { readonly batch: Observable<AnyRecord>; readonly speed: Observable<AnyRecord> }, options: ServePipelineOptions): Observable<AnyRecord> {
  const lateness = options.allowedLatenessUs;
  const clock = options.scheduler === undefined ? {} : { scheduler: options.scheduler };
  const fetchGap = options.fetchGap;
  let collapsed = (): number => 0;
  let dropped = (): number => 0;
  options.dedupeProbe?.(() => collapsed() + dropped());
  const streams = options.streams === undefined ? {} : { streams: options.streams };
  return mergeSources([layers.batch.pipe(validate()), layers.speed.pipe(validate())], {
    maxOutOfOrderUs: lateness, idleTimeoutMs: options.mergeIdleTimeoutMs ?? 0, ...clock, ...streams,
    ...(options.mergeProbe === undefined ? {} : { stateProbe: options.mergeProbe }),
    collapseProbe: (probe) => { collapsed = probe; },
  }).pipe(
    dedupe({ maxOutOfOrderUs: lateness, dropProbe: (probe) => { dropped = probe; }, ...streams }),
    detectGaps(streams),
    fillGaps({ policy: options.fill, ...(fetchGap === undefined ? {} : { fetch: (gap: GapRecord) => from(fetchGap(gap)) }) }),
    resample({ intervals: options.intervals, allowedLatenessUs: lateness, ...streams }),
    options.indicators === undefined || options.indicators.length === 0 ? identity : indicators({
      indicators: options.indicators, allowedLatenessUs: lateness, origin: options.indicatorOrigin, horizonProbe: options.indicatorHorizonProbe,
    }),
  );
}
