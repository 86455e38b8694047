/** Record factories and the operator test checklist (docs/ARCHITECTURE.md §2) shared by the operator tests. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { Observable, take, type MonoTypeOperatorFunction } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  makeVersion, nextWindowStartUs, US_PER_MINUTE, type AggTradeRecord, type AnyRecord, type KlineInterval,
  type KlineRecord, type Source, type TradeRecord,
} from '../../schemas/index.js';

/** 2026-05-08T00:00:00Z in µs. */
export const DAY_US = 1_778_198_400_000_000;

/** A spot trade; quoteQty = price·qty unless given. */
export function trade(tradeId: number, eventTimeUs: number, fields: Partial<TradeRecord> = {}): TradeRecord {
  const price = fields.price ?? 100;
  const qty = fields.qty === undefined ? 1 : fields.qty;
  return {
    kind: 'trade', exchange: 'binance', market: 'spot', symbol: 'BTCUSDT', eventTimeUs, source: 'archive',
    receiveTimeUs: null, ingestId: `BTCUSDT-trades.zip:${tradeId}`, version: makeVersion('archive', 1),
    tradeId, price, qty, quoteQty: qty === null ? null : price * qty, contracts: null, baseQty: null,
    isBuyerMaker: false, isBestMatch: true, ...fields,
  };
}

/** A spot aggTrade covering trade ids `firstTradeId..lastTradeId`. */
export function aggTrade(aggTradeId: number, eventTimeUs: number, fields: Partial<AggTradeRecord> = {}): AggTradeRecord {
  return {
    kind: 'aggTrade', exchange: 'binance', market: 'spot', symbol: 'BTCUSDT', eventTimeUs, source: 'archive',
    receiveTimeUs: null, ingestId: `BTCUSDT-aggTrades.zip:${aggTradeId}`, version: makeVersion('archive', 1),
    aggTradeId, price: 100, qty: 1, contracts: null, firstTradeId: aggTradeId * 10, lastTradeId: aggTradeId * 10,
    isBuyerMaker: false, isBestMatch: true, ...fields,
  };
}

/** A closed spot kline of `interval` opening at `openTimeUs` (ms-era close time). */
export function kline(openTimeUs: number, fields: Partial<KlineRecord> = {}, interval: KlineInterval = '1m', source: Source = 'archive'): KlineRecord {
  const base: KlineRecord = {
    kind: 'kline', exchange: 'binance', market: 'spot', symbol: 'BTCUSDT', eventTimeUs: openTimeUs, source,
    receiveTimeUs: null, ingestId: `BTCUSDT-${interval}.zip:${openTimeUs}`, version: makeVersion(source, 1),
    priceKind: 'trade', interval, openTimeUs, closeTimeUs: nextWindowStartUs(openTimeUs, interval) - 1000,
    open: 100, high: 101, low: 99, close: 100.5, volume: 2, quoteVolume: 200, contracts: null, baseVolume: null,
    tradeCount: 3, takerBuyVolume: 1, takerBuyQuoteVolume: 100, takerBuyContracts: null, takerBuyBaseVolume: null,
    isClosed: true,
  };
  return { ...base, ...fields };
}

/** Minute `i` of the test day, µs. */
export const minute = (i: number): number => DAY_US + i * US_PER_MINUTE;

/** Runs `fn` with a TestScheduler that compares with deepStrictEqual. */
export function marbles(fn: (helpers: Parameters<Parameters<TestScheduler['run']>[0]>[0]) => void): void {
  new TestScheduler((actual, expected) => assert.deepStrictEqual(actual, expected)).run(fn);
}

/** Collects an observable's values (it must complete synchronously or soon). */
export async function collect(source: Observable<AnyRecord>): Promise<AnyRecord[]> {
  const out: AnyRecord[] = [];
  await new Promise<void>((resolve, reject) => source.subscribe({ next: (r) => out.push(r), error: reject, complete: resolve }));
  return out;
}

/** What an operator's checklist needs besides the generic cases. */
export interface ChecklistCase {
  /** The operator under test with default-ish options. */
  readonly operator: () => MonoTypeOperatorFunction<AnyRecord>;
  /** The operator configured with a callback that throws `new Error('boom')` on the first record. */
  readonly throwing: () => MonoTypeOperatorFunction<AnyRecord>;
  /** Records `a`, `b`, `c` for the endless-source case, and what the operator emits for `-a-b-c-` (no completion). */
  readonly endless: { readonly values: Record<string, AnyRecord>; readonly expected: string; readonly expectedValues: Record<string, AnyRecord> };
  /** Records for the throwing-callback case, when `a` must differ from the endless case. @default endless.values */
  readonly throwingValues?: Record<string, AnyRecord>;
  /** The i-th record of an endless synchronous source (must make the operator emit soon). */
  readonly nth: (i: number) => AnyRecord;
}

/** The operator test checklist of docs/ARCHITECTURE.md §2 (all but the value cases, which each test file writes itself). */
export function itFollowsTheChecklist(c: ChecklistCase): void {
  it('keeps emitting while an endless source keeps sending, and never completes on its own', () => {
    marbles(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b-c-', c.endless.values).pipe(c.operator())).toBe(c.endless.expected, c.endless.expectedValues);
    });
  });

  it('completes without emitting for an empty source', () => {
    marbles(({ cold, expectObservable }) => {
      expectObservable(cold<AnyRecord>('|').pipe(c.operator())).toBe('|');
    });
  });

  it('passes a source error through unchanged', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<AnyRecord>('--#', undefined, new Error('upstream'));
      expectObservable(source.pipe(c.operator())).toBe('--#', undefined, new Error('upstream'));
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
  });

  it('turns a throwing callback into an error notification and unsubscribes from the source', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-', c.throwingValues ?? c.endless.values);
      expectObservable(source.pipe(c.throwing())).toBe('-#', undefined, new Error('boom'));
      expectSubscriptions(source.subscriptions).toBe('^!');
    });
  });

  it('unsubscribes from the source when the subscriber unsubscribes', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c-', c.endless.values);
      expectObservable(source.pipe(c.operator()), '^--!').toBe(c.endless.expected.slice(0, 3), c.endless.expectedValues);
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('stops a synchronous endless source when take() has enough', () => {
    let sent = 0;
    const endless = new Observable<AnyRecord>((subscriber) => {
      while (!subscriber.closed && sent < 100_000) subscriber.next(c.nth(sent++));
    });
    const out: AnyRecord[] = [];
    let completed = false;
    endless.pipe(c.operator(), take(3)).subscribe({ next: (r) => out.push(r), complete: () => { completed = true; } });
    assert.equal(out.length, 3);
    assert.ok(completed);
    assert.ok(sent < 10, `the source kept running: ${sent} records sent`);
  });
}

const EXACT_KLINE_FIELDS = ['market', 'symbol', 'priceKind', 'interval', 'openTimeUs', 'closeTimeUs', 'open', 'high', 'low', 'close', 'tradeCount'] as const;
const SUMMED_KLINE_FIELDS = [
  'volume', 'quoteVolume', 'contracts', 'baseVolume', 'takerBuyVolume', 'takerBuyQuoteVolume', 'takerBuyContracts', 'takerBuyBaseVolume',
] as const;

/** Relative tolerance for summed kline fields (float64 sums of exact decimals). */
export const SUM_TOLERANCE = 1e-9;

/**
 * Asserts two kline series are equivalent: same length and, per bar, times, OHLC and trade count exactly
 * equal, every summed field null in both or equal within {@link SUM_TOLERANCE} (relative).
 */
export function assertKlinesEquivalent(actual: readonly KlineRecord[], expected: readonly KlineRecord[]): void {
  assert.equal(actual.length, expected.length, 'number of bars');
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as unknown as Record<string, number | string | null>;
    const e = expected[i] as unknown as Record<string, number | string | null>;
    for (const field of EXACT_KLINE_FIELDS) assert.equal(a[field], e[field], `bar ${i} (${String(e.openTimeUs)}) ${field}`);
    for (const field of SUMMED_KLINE_FIELDS) {
      const [x, y] = [a[field] as number | null, e[field] as number | null];
      if (x === null || y === null) {
        assert.equal(x, y, `bar ${i} ${field} nullness`);
        continue;
      }
      const scale = Math.max(Math.abs(x), Math.abs(y), 1e-12);
      assert.ok(Math.abs(x - y) / scale <= SUM_TOLERANCE, `bar ${i} (${String(e.openTimeUs)}) ${field}: ${x} vs ${y}`);
    }
  }
}

/** Event times that never trail the newest one by more than `boundUs`. */
export const boundedDisorder = (boundUs: number) => fc.array(fc.integer({ min: -boundUs, max: 3 * boundUs }), { maxLength: 120 })
  .map((steps) => {
    let newest = 1_000_000;
    return steps.map((step) => {
      const t = Math.max(0, newest + step);
      newest = Math.max(newest, t);
      return t;
    });
  });
