/**
 * One kline window being aggregated by `resample`, from finer klines or from trades / aggTrades, and the
 * kline record it becomes. Sums are float64 sums of the inputs (see resample.ts for the precision contract).
 */
import {
  makeVersion, VERSION_SEQUENCE_LIMIT, type AggTradeRecord, type KlineInterval, type KlineRecord, type Market,
  type PriceKind, type TradeRecord,
} from '../schemas/index.js';

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

/** An aggregating window `[startUs, endUs)`. */
export class KlineBar {
  firstOrder = Infinity;
  lastOrder = -Infinity;
  open = 0;
  close = 0;
  high = -Infinity;
  low = Infinity;
  volume = 0;
  quoteVolume = 0;
  contracts = 0;
  baseVolume = 0;
  tradeCount = 0;
  takerBuyVolume = 0;
  takerBuyQuoteVolume = 0;
  takerBuyContracts = 0;
  takerBuyBaseVolume = 0;
  present = 0;
  maxSequence = 0;
  revision = -1;
  emitted = false;
  /** The next coarser target already accounts for this bar: later additions go to it directly too. */
  handedUp = false;

  constructor(readonly startUs: number, readonly endUs: number) {}

  /** Only synthetic (`source: 'fill'`) klines so far: their flat price stands in until real data comes. */
  synthetic = false;

  /** Synthetic prices count only while no real input is present (real trades decide OHLC, as at Binance). */
  private price(order: number, open: number, close: number, high: number, low: number, synthetic = false): void {
    const empty = this.firstOrder === Infinity;
    if (synthetic && !empty && !this.synthetic) return;
    if (!synthetic && this.synthetic) {
      this.firstOrder = Infinity;
      this.lastOrder = -Infinity;
      this.high = -Infinity;
      this.low = Infinity;
    }
    this.synthetic = synthetic && (empty || this.synthetic);
    if (order < this.firstOrder) { this.firstOrder = order; this.open = open; }
    if (order >= this.lastOrder) { this.lastOrder = order; this.close = close; }
    if (high > this.high) this.high = high;
    if (low < this.low) this.low = low;
  }

  private sequence(version: number): void {
    const sequence = version % VERSION_SEQUENCE_LIMIT;
    if (sequence > this.maxSequence) this.maxSequence = sequence;
  }

  /** Adds a finer kline (ordered by its open time). */
  addKline(k: KlineRecord): void {
    this.price(k.openTimeUs, k.open, k.close, k.high, k.low, k.source === 'fill');
    this.sequence(k.version);
    if (k.volume !== null) { this.volume += k.volume; this.present |= VOLUME; }
    if (k.quoteVolume !== null) { this.quoteVolume += k.quoteVolume; this.present |= QUOTE; }
    if (k.contracts !== null) { this.contracts += k.contracts; this.present |= CONTRACTS; }
    if (k.baseVolume !== null) { this.baseVolume += k.baseVolume; this.present |= BASE; }
    if (k.tradeCount !== null) { this.tradeCount += k.tradeCount; this.present |= COUNT; }
    if (k.takerBuyVolume !== null) { this.takerBuyVolume += k.takerBuyVolume; this.present |= TB_VOLUME; }
    if (k.takerBuyQuoteVolume !== null) { this.takerBuyQuoteVolume += k.takerBuyQuoteVolume; this.present |= TB_QUOTE; }
    if (k.takerBuyContracts !== null) { this.takerBuyContracts += k.takerBuyContracts; this.present |= TB_CONTRACTS; }
    if (k.takerBuyBaseVolume !== null) { this.takerBuyBaseVolume += k.takerBuyBaseVolume; this.present |= TB_BASE; }
  }

  /** Adds a trade or an aggTrade (ordered by its id; an aggTrade counts lastTradeId − firstTradeId + 1 trades). */
  addTrade(t: TradeRecord | AggTradeRecord): void {
    const isTrade = t.kind === 'trade';
    this.price(isTrade ? t.tradeId : t.aggTradeId, t.price, t.price, t.price, t.price);
    this.sequence(t.version);
    this.tradeCount += isTrade ? 1 : t.lastTradeId - t.firstTradeId + 1;
    this.present |= COUNT;
    const takerBuy = !t.isBuyerMaker;
    if (t.qty !== null) {
      const quote = isTrade && t.quoteQty !== null ? t.quoteQty : t.price * t.qty;
      this.volume += t.qty;
      this.quoteVolume += quote;
      this.present |= VOLUME | QUOTE | TB_VOLUME | TB_QUOTE;
      if (takerBuy) { this.takerBuyVolume += t.qty; this.takerBuyQuoteVolume += quote; }
    }
    if (t.contracts !== null) {
      this.contracts += t.contracts;
      this.present |= CONTRACTS | TB_CONTRACTS;
      if (takerBuy) this.takerBuyContracts += t.contracts;
      if (isTrade && t.baseQty !== null) {
        this.baseVolume += t.baseQty;
        this.present |= BASE | TB_BASE;
        if (takerBuy) this.takerBuyBaseVolume += t.baseQty;
      }
    }
  }

  /** Adds a whole finer bar (a closed window of the next finer target). */
  addBar(b: KlineBar): void {
    this.price(b.firstOrder, b.open, b.open, b.high, b.low, b.synthetic);
    this.price(b.lastOrder, b.close, b.close, b.high, b.low, b.synthetic);
    if (b.maxSequence > this.maxSequence) this.maxSequence = b.maxSequence;
    this.volume += b.volume;
    this.quoteVolume += b.quoteVolume;
    this.contracts += b.contracts;
    this.baseVolume += b.baseVolume;
    this.tradeCount += b.tradeCount;
    this.takerBuyVolume += b.takerBuyVolume;
    this.takerBuyQuoteVolume += b.takerBuyQuoteVolume;
    this.takerBuyContracts += b.takerBuyContracts;
    this.takerBuyBaseVolume += b.takerBuyBaseVolume;
    this.present |= b.present;
  }

  /** The kline of this window; each call is a new revision with a higher version. */
  toKline(template: BarTemplate): KlineRecord {
    this.revision++;
    const p = this.present;
    return {
      kind: 'kline', exchange: template.exchange, market: template.market, symbol: template.symbol,
      eventTimeUs: this.startUs, source: 'resample', receiveTimeUs: null, ingestId: template.ingestId,
      version: makeVersion('resample', this.maxSequence + this.revision),
      priceKind: template.priceKind, interval: template.interval, openTimeUs: this.startUs,
      closeTimeUs: this.endUs - template.closeResolutionUs,
      open: this.open, high: this.high, low: this.low, close: this.close,
      volume: p & VOLUME ? this.volume : null,
      quoteVolume: p & QUOTE ? this.quoteVolume : null,
      contracts: p & CONTRACTS ? this.contracts : null,
      baseVolume: p & BASE ? this.baseVolume : null,
      tradeCount: p & COUNT ? this.tradeCount : null,
      takerBuyVolume: p & TB_VOLUME ? this.takerBuyVolume : null,
      takerBuyQuoteVolume: p & TB_QUOTE ? this.takerBuyQuoteVolume : null,
      takerBuyContracts: p & TB_CONTRACTS ? this.takerBuyContracts : null,
      takerBuyBaseVolume: p & TB_BASE ? this.takerBuyBaseVolume : null,
      isClosed: true,
    };
  }
}
