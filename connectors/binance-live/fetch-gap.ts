/**
 * Authentic records for a `gap` over REST: klines by time (pages of ≤ 1000 from the gap's start until its end),
 * trades and aggTrades by id (pages of ≤ 1000 from `fromId` until `toId`). Every call goes through the client's
 * shared weight limiter. What REST does not return is simply absent: the caller (fillGaps) turns a short answer
 * into `partial` / `exchange_outage`.
 */
import type { AnyRecord, GapRecord } from '../../schemas/records.js';
import { US_PER_MS } from '../../schemas/time.js';
import { ConfigError } from '../../schemas/errors.js';
import type { BinanceRest } from './rest-client.js';

const PAGE = 1000;

/** Yields the records REST has for `gap`, ascending, page by page. */
export async function* fetchGapRecords(rest: BinanceRest, gap: GapRecord, signal?: AbortSignal): AsyncGenerator<AnyRecord> {
  if (gap.dataType === 'kline') {
    if (gap.interval === null) throw new ConfigError(`gap ${gap.stream} has no interval`);
    let startMs = Math.floor(gap.fromUs / US_PER_MS);
    for (;;) {
      const page = await rest.klines(gap.symbol, gap.interval, startMs, PAGE, signal);
      const inside = page.filter((k) => k.openTimeUs >= gap.fromUs && k.openTimeUs < gap.toUs);
      yield* inside;
      const last = page.at(-1);
      if (last === undefined || page.length < PAGE || last.openTimeUs >= gap.toUs) return;
      startMs = Math.floor(last.openTimeUs / US_PER_MS) + 1;
    }
  }
  if (gap.dataType !== 'trade' && gap.dataType !== 'aggTrade') throw new ConfigError(`REST cannot fill ${gap.dataType} gaps`);
  if (gap.fromId === null || gap.toId === null) throw new ConfigError(`gap ${gap.stream} has no id range`);
  let fromId = gap.fromId;
  while (fromId <= gap.toId) {
    const page: AnyRecord[] = gap.dataType === 'trade'
      ? await rest.trades(gap.symbol, fromId, PAGE, signal)
      : await rest.aggTrades(gap.symbol, fromId, PAGE, signal);
    let next = fromId;
    for (const record of page) {
      const id = record.kind === 'trade' ? record.tradeId : record.kind === 'aggTrade' ? record.aggTradeId : -1;
      if (id >= fromId && id <= gap.toId) yield record;
      next = Math.max(next, id + 1);
    }
    if (page.length === 0 || next === fromId) return;
    fromId = next;
  }
}
