/**
 * One kline window being aggregated by `resample`, from finer klines or from trades / aggTrades, and the
 * kline record it becomes. Sums are float64 sums of the inputs (see resample.ts for the precision contract).
 */
import {
  makeVersion, sequenceOfVersion, type AggTradeRecord, type KlineInterval, type KlineRecord, type Market,
  type PriceKind, type TradeRecord,
} from '../schemas/index.js';
import { IdRanges } from '../schemas/id-ranges.js';

/** What the output klines of one input stream share. */
export interface BarTemplate {
  readonly exchange: 'binance';
  readonly market: Market;
  readonly symbol: string;
  readonly priceKind: PriceKind;
  readonly interval: KlineInterval;
  readonly ingestId: string;
  /** closeTimeUs = next window start − this (1000 for ms-era inputs, 1 for µs-era). */
  closeResolutionUs: number;
}

// Bits of `present`: which summed fields had a non-null input.
const VOLUME = 1, QUOTE = 2, CONTRACTS = 4, BASE = 8, COUNT = 16, TB_VOLUME = 32, TB_QUOTE = 64, TB_CONTRACTS = 128, TB_BASE = 256;

// Slots of `KlineBar.v`: the accumulators, as one unboxed array of doubles (compact and cache-friendly).
const FIRST = 0, LAST = 1, OPEN = 2, CLOSE = 3, HIGH = 4, LOW = 5, V_VOLUME = 6, V_QUOTE = 7, V_CONTRACTS = 8, V_BASE = 9,
  V_COUNT = 10, V_TB_VOLUME = 11, V_TB_QUOTE = 12, V_TB_CONTRACTS = 13, V_TB_BASE = 14, SEQUENCE = 15;
const SUMS = [V_VOLUME, V_QUOTE, V_CONTRACTS, V_BASE, V_COUNT, V_TB_VOLUME, V_TB_QUOTE, V_TB_CONTRACTS, V_TB_BASE] as const;

/** An aggregating window `[startUs, endUs)`. */
export class KlineBar {
  /** first/last order, open, close, high, low, the nine sums and the newest input sequence (see slot names). */
  readonly v: number[] = [Infinity, -Infinity, 0, 0, -Infinity, Infinity, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  present = 0;
  revision = -1;
  emitted = false;
  /** The next coarser target already accounts for this bar: later additions go to it directly too. */
  handedUp = false;
  /** Only synthetic (`source: 'fill'`) klines so far: their flat price stands in until real data comes. */
  synthetic = false;
  /** Ids of the inputs added directly (each counts once). */
  readonly seen = new IdRanges();

  constructor(public startUs: number, public endUs: number) {}

  /** Makes a dropped bar an empty one for another window (bars are reused to spare allocations). */
  reset(startUs: number, endUs: number): this {
    const v = this.v;
    v[FIRST] = Infinity; v[LAST] = -Infinity; v[OPEN] = 0; v[CLOSE] = 0; v[HIGH] = -Infinity; v[LOW] = Infinity;
    for (const slot of SUMS) v[slot] = 0;
    v[SEQUENCE] = 0;
    this.startUs = startUs;
    this.endUs = endUs;
    this.present = 0;
    this.revision = -1;
    this.emitted = this.handedUp = this.synthetic = false;
    this.seen.clear();
    return this;
  }

  /** Synthetic prices count only while no real input is present (real trades decide OHLC, as at Binance). */
  private price(order: number, open: number, close: number, high: number, low: number, synthetic: boolean): void {
    const v = this.v;
    const empty = v[FIRST] === Infinity;
    if (synthetic && !empty && !this.synthetic) return;
    if (!synthetic && this.synthetic) {
      v[FIRST] = Infinity;
      v[LAST] = -Infinity;
      v[HIGH] = -Infinity;
      v[LOW] = Infinity;
    }
    this.synthetic = synthetic && (empty || this.synthetic);
    if (order < v[FIRST]) { v[FIRST] = order; v[OPEN] = open; }
    if (order >= v[LAST]) { v[LAST] = order; v[CLOSE] = close; }
    if (high > v[HIGH]) v[HIGH] = high;
    if (low < v[LOW]) v[LOW] = low;
  }

  private sequence(version: number): void {
    const sequence = sequenceOfVersion(version);
    if (sequence > this.v[SEQUENCE]) this.v[SEQUENCE] = sequence;
  }

  /**
   * Adds a finer kline (ordered by its open time). Real data into a real bar (the common case) updates the
   * prices right here: passed to {@link price}, which is too big to be inlined, the five prices and times
   * were boxed into five heap numbers per record (bench/operators.ts allocation profile).
   */
  addKline(k: KlineRecord): void {
    const v = this.v;
    if (k.source !== 'fill' && !this.synthetic) {
      const order = k.openTimeUs;
      if (order < v[FIRST]) { v[FIRST] = order; v[OPEN] = k.open; }
      if (order >= v[LAST]) { v[LAST] = order; v[CLOSE] = k.close; }
      if (k.high > v[HIGH]) v[HIGH] = k.high;
      if (k.low < v[LOW]) v[LOW] = k.low;
    } else {
      this.price(k.openTimeUs, k.open, k.close, k.high, k.low, k.source === 'fill');
    }
    this.sequence(k.version);
    if (k.volume !== null) { v[V_VOLUME] += k.volume; this.present |= VOLUME; }
    if (k.quoteVolume !== null) { v[V_QUOTE] += k.quoteVolume; this.present |= QUOTE; }
    if (k.contracts !== null) { v[V_CONTRACTS] += k.contracts; this.present |= CONTRACTS; }
    if (k.baseVolume !== null) { v[V_BASE] += k.baseVolume; this.present |= BASE; }
    if (k.tradeCount !== null) { v[V_COUNT] += k.tradeCount; this.present |= COUNT; }
    if (k.takerBuyVolume !== null) { v[V_TB_VOLUME] += k.takerBuyVolume; this.present |= TB_VOLUME; }
    if (k.takerBuyQuoteVolume !== null) { v[V_TB_QUOTE] += k.takerBuyQuoteVolume; this.present |= TB_QUOTE; }
    if (k.takerBuyContracts !== null) { v[V_TB_CONTRACTS] += k.takerBuyContracts; this.present |= TB_CONTRACTS; }
    if (k.takerBuyBaseVolume !== null) { v[V_TB_BASE] += k.takerBuyBaseVolume; this.present |= TB_BASE; }
  }

  /** Adds a trade or an aggTrade (ordered by its id; an aggTrade counts lastTradeId − firstTradeId + 1 trades). */
  addTrade(t: TradeRecord | AggTradeRecord): void {
    const isTrade = t.kind === 'trade';
    const v = this.v;
    const order = isTrade ? t.tradeId : t.aggTradeId;
    if (!this.synthetic) {
      // As in addKline: the common case in place, no boxed arguments.
      const price = t.price;
      if (order < v[FIRST]) { v[FIRST] = order; v[OPEN] = price; }
      if (order >= v[LAST]) { v[LAST] = order; v[CLOSE] = price; }
      if (price > v[HIGH]) v[HIGH] = price;
      if (price < v[LOW]) v[LOW] = price;
    } else {
      this.price(order, t.price, t.price, t.price, t.price, false);
    }
    this.sequence(t.version);
    v[V_COUNT] += isTrade ? 1 : t.lastTradeId - t.firstTradeId + 1;
    this.present |= COUNT;
    const takerBuy = !t.isBuyerMaker;
    if (t.qty !== null) {
      const quote = isTrade && t.quoteQty !== null ? t.quoteQty : t.price * t.qty;
      v[V_VOLUME] += t.qty;
      v[V_QUOTE] += quote;
      this.present |= VOLUME | QUOTE | TB_VOLUME | TB_QUOTE;
      if (takerBuy) { v[V_TB_VOLUME] += t.qty; v[V_TB_QUOTE] += quote; }
    }
    if (t.contracts !== null) {
      v[V_CONTRACTS] += t.contracts;
      this.present |= CONTRACTS | TB_CONTRACTS;
      if (takerBuy) v[V_TB_CONTRACTS] += t.contracts;
      if (isTrade && t.baseQty !== null) {
        v[V_BASE] += t.baseQty;
        this.present |= BASE | TB_BASE;
        if (takerBuy) v[V_TB_BASE] += t.baseQty;
      }
    }
  }

  /** Adds a whole finer bar (a closed window of the next finer target). */
  addBar(b: KlineBar): void {
    const v = this.v;
    const w = b.v;
    this.price(w[FIRST], w[OPEN], w[OPEN], w[HIGH], w[LOW], b.synthetic);
    this.price(w[LAST], w[CLOSE], w[CLOSE], w[HIGH], w[LOW], b.synthetic);
    if (w[SEQUENCE] > v[SEQUENCE]) v[SEQUENCE] = w[SEQUENCE];
    for (const slot of SUMS) v[slot] += w[slot];
    this.present |= b.present;
  }

  /** The kline of this window; each call is a new revision with a higher version. */
  toKline(template: BarTemplate): KlineRecord {
    this.revision++;
    const p = this.present;
    const v = this.v;
    return {
      kind: 'kline', exchange: template.exchange, market: template.market, symbol: template.symbol,
      eventTimeUs: this.startUs, source: 'resample', receiveTimeUs: null, ingestId: template.ingestId,
      version: makeVersion('resample', v[SEQUENCE] + this.revision),
      priceKind: template.priceKind, interval: template.interval, openTimeUs: this.startUs,
      closeTimeUs: this.endUs - template.closeResolutionUs,
      open: v[OPEN], high: v[HIGH], low: v[LOW], close: v[CLOSE],
      volume: p & VOLUME ? v[V_VOLUME] : null,
      quoteVolume: p & QUOTE ? v[V_QUOTE] : null,
      contracts: p & CONTRACTS ? v[V_CONTRACTS] : null,
      baseVolume: p & BASE ? v[V_BASE] : null,
      tradeCount: p & COUNT ? v[V_COUNT] : null,
      takerBuyVolume: p & TB_VOLUME ? v[V_TB_VOLUME] : null,
      takerBuyQuoteVolume: p & TB_QUOTE ? v[V_TB_QUOTE] : null,
      takerBuyContracts: p & TB_CONTRACTS ? v[V_TB_CONTRACTS] : null,
      takerBuyBaseVolume: p & TB_BASE ? v[V_TB_BASE] : null,
      isClosed: true,
    };
  }
}
