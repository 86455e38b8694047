/**
 * One bar stream's indicators: its retained bars ({@link BarHistory}) with every indicator's outputs and state
 * after each bar a correction can still reach, the append path for the next bar, and the replay path for a bar
 * that comes late or corrected.
 */
import {
  fixedIntervalUs, makeVersion, nextWindowStartUs, sequenceOfVersion, type IndicatorName, type IndicatorRecord, type KlineInterval,
  type KlineRecord,
} from '../schemas/index.js';
import { BAR_STRIDE, BarHistory, CLOSE, END_US, HIGH, LOW, OPEN_US, POSITION, VERSION, VOLUME } from './bar-history.js';
import {
  COUNT, EMITTED, HISTOGRAM, LOWER, SEED, SEQUENCE, SIGNAL, SLOTS, UPPER, VALUE, WARM, placeSeed, type IndicatorCalc,
} from './indicator-calc.js';
import { Epochs } from './indicator-epochs.js';
import type { Emit } from './record-processor.js';

/** What becomes of a bar given to {@link IndicatorStream.add}. */
export const ADDED = 0, DUPLICATE = 1, TOO_LATE = 2;

const DERIVED_BASE = makeVersion('derived', 0);
// Warm-up rows rank below every value row: a store never replaces a value by the warm-up row of the same bar.
const WARM_BASE = makeVersion('fill', 0);

const OUTPUTS = [VALUE, SIGNAL, HISTOGRAM, UPPER, LOWER, WARM, COUNT] as const;

/** What the rows of one stream share. */
export type RowTemplate = Pick<KlineRecord, 'exchange' | 'market' | 'symbol' | 'priceKind' | 'interval'>;

/**
 * What the streams of one price kind and interval share, made once for all of them: the indicators (stateless:
 * their state is in each stream's {@link BarHistory}), where each one's slots begin, its epochs, its row's name
 * and params. One copy read by every stream's bars stays in the cache; a copy per stream (a dozen objects and
 * arrays) would be another cache miss or two per bar for each stream interleaved.
 */
export class IndicatorPlan {
  readonly bases: number[] = [];
  readonly epochs: Epochs[];
  readonly backs: number[];
  // Read per row: plain arrays of strings, not a property of four calc classes (a polymorphic load).
  readonly names: IndicatorName[];
  readonly params: string[];
  /** Slots per bar state, over all the indicators. */
  readonly slots: number;
  /** Bars kept before the oldest correctable one (the state before it, and the windows reaching back). */
  readonly keepBefore: number;
  /** Window length of the interval, µs; 0 for the calendar month. */
  readonly windowUs: number;
  readonly ingestId: string;
  /** The outputs of a row before it is recomputed (scratch: streams run one at a time). */
  readonly previous = new Float64Array(OUTPUTS.length);

  constructor(readonly calcs: readonly IndicatorCalc[], priceKind: string, interval: KlineInterval) {
    let slots = 0;
    for (const calc of calcs) {
      this.bases.push(slots);
      slots += SLOTS + calc.stateSize;
    }
    this.slots = slots;
    this.epochs = calcs.map((c) => new Epochs(interval, c.epochWindows));
    this.backs = calcs.map((c) => c.epochsBack);
    this.names = calcs.map((c) => c.name);
    this.params = calcs.map((c) => c.params);
    this.keepBefore = Math.max(1, ...calcs.map((c) => c.lookback));
    this.windowUs = fixedIntervalUs(interval) ?? 0;
    this.ingestId = `indicators/${priceKind}/${interval}`;
  }
}

/**
 * See the module comment. A bar is on time while its window end + the allowed lateness is after the open time
 * of the newest bar (the stream's event time); the newest bar is always on time. A row is emitted only when its
 * seed is at or after `startUs`, where the stream's input begins: a re-read from there rebuilds exactly those.
 * Memory: the bars on time, plus the longest window (and one bar) before them; states for the bars on time and
 * the one before them.
 */
export class IndicatorStream {
  readonly history: BarHistory;
  /** No `startUs`: every row is emitted (a flag, not a comparison with a boxed −∞ per row). */
  private readonly emitsAll: boolean;
  /** The position of the oldest bar on time (that a correction can still reach). */
  private firstOnTime = 0;

  constructor(
    private readonly plan: IndicatorPlan, private readonly template: RowTemplate, private readonly latenessUs: number,
    readonly startUs = -Infinity, readonly tag = 0,
  ) {
    this.history = new BarHistory(plan.slots, plan.keepBefore + 2);
    this.emitsAll = startUs === -Infinity;
  }

  /** The open time of the newest bar (the stream's event time), −∞ before the first. */
  private newestOpenUs(): number {
    const h = this.history;
    return h.size === 0 ? -Infinity : h.bars[h.barAt(h.size - 1) * BAR_STRIDE + OPEN_US];
  }

  /** Adds a closed bar: emits the rows it gives or changes; returns {@link ADDED}, {@link DUPLICATE} or {@link TOO_LATE}. */
  add(bar: KlineRecord, emit: Emit): number {
    const h = this.history;
    const newestOpenUs = this.newestOpenUs();
    if (bar.openTimeUs > newestOpenUs) {
      // The common case, a bar after the newest: appended, no search. The bars it leaves behind the allowed
      // lateness need no state before them any more, so that state's slot can take the new bar's.
      while (this.firstOnTime < h.size && !this.onTime(this.firstOnTime, bar.openTimeUs)) this.firstOnTime++;
      this.holdStatesFor(h.size);
      this.place(h.append(), bar);
      this.compute(h.size - 1, true, emit);
      this.trim();
      return ADDED;
    }
    const found = h.find(bar.openTimeUs);
    if (found >= 0 && bar.version <= h.bars[h.barAt(found) * BAR_STRIDE + VERSION]) return DUPLICATE;
    const k = found >= 0 ? found : -found - 1;
    // A bar before the newest: its stream must still hold the state before it, and it must be within lateness.
    const startOfStream = h.size > 0 && h.bars[h.barAt(0) * BAR_STRIDE + POSITION] === 1;
    if (this.endOf(bar.openTimeUs) + this.latenessUs <= newestOpenUs || (k === 0 && !startOfStream)) return TOO_LATE;
    if (found < 0) this.holdStatesFor(k);
    this.place(found >= 0 ? h.barAt(k) : h.insert(k), bar);
    for (let j = k; j < h.size; j++) this.compute(j, found < 0 && j === k, emit);
    this.trim();
    return ADDED;
  }

  /**
   * The event time from which this stream's bars must be read again for a fresh stream (with that `startUs`) to
   * emit every row this one may still emit or re-emit: the earliest seed of the rows from the bar before the
   * oldest correctable one on.
   */
  neededFromUs(): number {
    const h = this.history;
    const j = this.firstOnTime;
    const o = h.stateAt(j > 0 ? j - 1 : 0) * h.stride;
    let needed = Infinity;
    const bases = this.plan.bases;
    for (let c = 0; c < bases.length; c++) needed = Math.min(needed, h.states[o + bases[c] + SEED]);
    return needed;
  }

  /** True while the bar at position `j` can still be corrected (or come late), the newest bar opening at `newestOpenUs`. */
  private onTime(j: number, newestOpenUs: number): boolean {
    const h = this.history;
    return h.bars[h.barAt(j) * BAR_STRIDE + END_US] + this.latenessUs > newestOpenUs;
  }

  /**
   * Before a bar is inserted at position `k` (≥ the oldest on time): the states from the one before the oldest
   * on time (what a correction or {@link neededFromUs} reads) to the new bar's must all stay held.
   */
  private holdStatesFor(k: number): void {
    const h = this.history;
    h.holdStates(h.size + 2 - Math.min(k, this.firstOnTime));
  }

  private endOf(openUs: number): number {
    const windowUs = this.plan.windowUs;
    return windowUs === 0 ? nextWindowStartUs(openUs, '1M') : openUs + windowUs;
  }

  private place(i: number, bar: KlineRecord): void {
    const d = this.history.bars;
    const r = i * BAR_STRIDE;
    d[r + OPEN_US] = bar.openTimeUs;
    d[r + END_US] = this.endOf(bar.openTimeUs);
    d[r + CLOSE] = bar.close;
    this.history.closes[i] = bar.close;
    d[r + HIGH] = bar.high;
    d[r + LOW] = bar.low;
    d[r + VOLUME] = bar.volume ?? bar.baseVolume ?? NaN;
    d[r + VERSION] = bar.version;
  }

  /** Recomputes position `k`; a `fresh` bar (new at k) emits every row, a recomputed one only the rows that changed. */
  private compute(k: number, fresh: boolean, emit: Emit): void {
    const h = this.history;
    const b = h.bars;
    const r = h.barAt(k) * BAR_STRIDE;
    const pr = k > 0 ? h.barAt(k - 1) * BAR_STRIDE : -1;
    b[r + POSITION] = (pr < 0 ? 0 : b[pr + POSITION]) + 1;
    const sequence = sequenceOfVersion(b[r + VERSION]);
    const openUs = b[r + OPEN_US];
    const s = h.states;
    const so = h.stateAt(k) * h.stride;
    const ps = k > 0 ? h.stateAt(k - 1) * h.stride : -1;
    const plan = this.plan;
    const { bases, calcs, previous } = plan;
    for (let c = 0; c < calcs.length; c++) {
      const o = so + bases[c];
      const po = ps < 0 ? -1 : ps + bases[c];
      if (!fresh) for (let x = 0; x < OUTPUTS.length; x++) previous[x] = s[o + OUTPUTS[x]];
      const follows = placeSeed(s, o, po, plan.epochs[c], plan.backs[c], openUs, sequence);
      calcs[c].step(h, k, o, po, follows);
      if (!fresh && unchanged(previous, s, o)) continue;
      const computed = (s[o + WARM] === 1 ? WARM_BASE : DERIVED_BASE) + s[o + SEQUENCE];
      s[o + EMITTED] = fresh ? computed : Math.max(computed, s[o + EMITTED] + 1);
      if (this.emitsAll || s[o + SEED] >= this.startUs) emit(this.row(plan, c, s, o, openUs));
    }
  }

  private row(plan: IndicatorPlan, c: number, s: Float64Array, o: number, openUs: number): IndicatorRecord {
    const t = this.template;
    return {
      kind: 'indicator', exchange: t.exchange, market: t.market, symbol: t.symbol, eventTimeUs: openUs, source: 'derived',
      receiveTimeUs: null, ingestId: plan.ingestId, version: s[o + EMITTED], priceKind: t.priceKind,
      interval: t.interval, openTimeUs: openUs, indicator: plan.names[c], params: plan.params[c], warmUp: s[o + WARM] === 1,
      value: nullIfNaN(s[o + VALUE]), signal: nullIfNaN(s[o + SIGNAL]), histogram: nullIfNaN(s[o + HISTOGRAM]),
      upper: nullIfNaN(s[o + UPPER]), lower: nullIfNaN(s[o + LOWER]), barCount: s[o + COUNT],
    };
  }

  /** Forgets the bars no correction can reach any more (the windows keep `keepBefore` before the oldest on time). */
  private trim(): void {
    const drop = this.firstOnTime - this.plan.keepBefore;
    if (drop > 0) {
      this.history.dropOldest(drop);
      this.firstOnTime -= drop;
    }
  }
}

function nullIfNaN(value: number): number | null {
  return value === value ? value : null;
}

/** True when the outputs at `o` equal the saved ones (NaN equals NaN). */
function unchanged(previous: Float64Array, s: Float64Array, o: number): boolean {
  for (let x = 0; x < OUTPUTS.length; x++) {
    const a = previous[x];
    const b = s[o + OUTPUTS[x]];
    if (a !== b && !(Number.isNaN(a) && Number.isNaN(b))) return false;
  }
  return true;
}
