/**
 * REST repair of a hole in a live stream: trades and aggTrades from the last emitted id, klines by time
 * from the last seen open time, page by page through the rate-limited REST client, until the repair reaches
 * the first live record held back (the live stream overlaps) or REST has nothing newer (caught up with
 * the exchange). Repaired records are emitted in order as pages arrive; rows the live stream already holds
 * are left to it.
 */
import type { AnyRecord } from '../../schemas/records.js';
import { US_PER_MS } from '../../schemas/time.js';
import { backoffDelayMs } from '../plumbing/backoff.js';
import type { BinanceRest } from './rest-client.js';
import type { StreamTracker } from './stream-tracker.js';

/** The outcome of one repair. */
export interface RepairResult {
  /** Records emitted by the repair. */
  readonly filled: number;
  /** True when the repair met the held live records with every id between, or REST had nothing newer. */
  readonly complete: boolean;
  /** Why it is not complete, for the gap's detail. */
  readonly detail?: string;
}

const PAGE = 1000;
/** Answers without a new row before a trade repair gives up (REST may lag the stream by a moment). */
const EMPTY_ATTEMPTS = 3;

/**
 * Repairs a trade or aggTrade stream from `tracker.lastId + 1`. An answer with nothing new is asked again
 * at most {@link EMPTY_ATTEMPTS} times (with backoff); ids REST skips count as missing. Errors propagate
 * (the client has retried what is retriable).
 */
export async function repairIds(rest: BinanceRest, tracker: StreamTracker, emit: (record: AnyRecord) => void, signal: AbortSignal): Promise<RepairResult> {
  const { symbol, type } = tracker.stream;
  let filled = 0;
  let missing = 0;
  for (let empty = 0; ;) {
    if (tracker.lastId === null) return { filled, complete: false, detail: 'no id to repair from' };
    const target = tracker.firstPendingId();
    if (target !== null && tracker.lastId + 1 >= target) return { filled, complete: missing === 0, detail: missing === 0 ? undefined : `REST lacks ${missing} ids of the hole` };
    const page = type === 'trade'
      ? await rest.tradesFrom(symbol, tracker.lastId + 1, signal)
      : await aggTradePage(rest, symbol, tracker.lastId + 1, signal);
    if (signal.aborted) return { filled, complete: false };
    let progressed = false;
    for (const row of page.rows) {
      const id = row.kind === 'trade' ? row.tradeId : row.kind === 'aggTrade' ? row.aggTradeId : -1;
      if (id <= tracker.lastId || (target !== null && id >= target)) continue;
      missing += id - tracker.lastId - 1;
      emit(row);
      tracker.note(row);
      filled++;
      progressed = true;
    }
    if (target === null && !page.more) return { filled, complete: missing === 0 };
    if (progressed) { empty = 0; continue; }
    if (target === null) return { filled, complete: missing === 0 };
    if (++empty >= EMPTY_ATTEMPTS) return { filled, complete: false, detail: `REST had no ${type}s from id ${tracker.lastId + 1} after ${empty} answers` };
    await rest.limiter.wait(backoffDelayMs(empty, { baseDelayMs: 250 }), signal);
  }
}

async function aggTradePage(rest: BinanceRest, symbol: string, fromId: number, signal: AbortSignal): Promise<{ rows: AnyRecord[]; more: boolean }> {
  const rows = await rest.aggTrades(symbol, fromId, PAGE, signal);
  return { rows, more: rows.length >= PAGE };
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
