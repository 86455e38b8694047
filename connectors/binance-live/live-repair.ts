/**
 * REST repair of a hole in a live stream: trades and aggTrades from the last emitted id, klines by time
 * from the last seen open time, page by page through the rate-limited REST client, until the repair reaches
 * the first live record held back (the live stream overlaps) or REST has nothing newer (caught up with
 * the exchange). Repaired records are emitted in order as pages arrive; rows the live stream already holds
 * are left to it.
 */
import type { AnyRecord } from '../../schemas/records.js';
import { US_PER_MS } from '../../schemas/time.js';
import type { BinanceRest } from './rest-client.js';
import type { StreamTracker } from './stream-tracker.js';

/** The outcome of one repair. */
export interface RepairResult {
  /** Records emitted by the repair. */
  readonly filled: number;
  /** True when the repair met the held live records, or REST had nothing newer. */
  readonly complete: boolean;
}

const PAGE = 1000;

/** Repairs a trade or aggTrade stream from `tracker.lastId + 1`. */
export async function repairIds(rest: BinanceRest, tracker: StreamTracker, emit: (record: AnyRecord) => void, signal: AbortSignal): Promise<RepairResult> {
  const { symbol, type } = tracker.stream;
  let filled = 0;
  for (;;) {
    if (tracker.lastId === null) return { filled, complete: false };
    const target = tracker.firstPendingId();
    if (target !== null && tracker.lastId + 1 >= target) return { filled, complete: true };
    const rows: AnyRecord[] = type === 'trade'
      ? await rest.trades(symbol, tracker.lastId + 1, PAGE, signal)
      : await rest.aggTrades(symbol, tracker.lastId + 1, PAGE, signal);
    if (signal.aborted) return { filled, complete: false };
    let progressed = false;
    for (const row of rows) {
      const id = row.kind === 'trade' ? row.tradeId : row.kind === 'aggTrade' ? row.aggTradeId : -1;
      if (id <= tracker.lastId || (target !== null && id >= target)) continue;
      emit(row);
      tracker.note(row);
      filled++;
      progressed = true;
    }
    if (target === null && rows.length < PAGE) return { filled, complete: true };
    if (!progressed) return { filled, complete: target === null };
  }
}

/** Repairs a kline stream by time from the last seen open time (re-fetching that, maybe open, candle). */
export async function repairKlines(rest: BinanceRest, tracker: StreamTracker, fallbackFromUs: number, emit: (record: AnyRecord) => void, signal: AbortSignal): Promise<RepairResult> {
  const { symbol, interval } = tracker.stream;
  let startMs = Math.floor((tracker.lastOpenTimeUs ?? fallbackFromUs) / US_PER_MS);
  let filled = 0;
  for (;;) {
    const targetUs = tracker.firstPendingOpenTimeUs();
    const rows = await rest.klines(symbol, interval ?? '1m', startMs, PAGE, signal);
    if (signal.aborted) return { filled, complete: false };
    for (const row of rows) {
      if (row.kind !== 'kline' || (targetUs !== null && row.openTimeUs >= targetUs)) continue;
      emit(row);
      tracker.note(row);
      filled++;
    }
    const last = rows.at(-1);
    const reached = last !== undefined && last.kind === 'kline' && targetUs !== null && last.openTimeUs >= targetUs;
    if (rows.length < PAGE || reached || last === undefined || last.kind !== 'kline') return { filled, complete: true };
    startMs = Math.floor(last.openTimeUs / US_PER_MS) + 1;
  }
}
