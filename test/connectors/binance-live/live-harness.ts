/** Test harness: a replay server over the real COIN-M aggTrades archive and a collecting live client. */
import { after } from 'node:test';
import { Subscription, takeWhile, tap, toArray, type MonoTypeOperatorFunction, type Observable } from 'rxjs';
import { eventsFromArchiveCsv } from '../../../connectors/binance-replay/archive-csv.js';
import type { FeedEvent, ReplayFeed } from '../../../connectors/binance-replay/replay-feed.js';
import type { ReplayServer } from '../../../connectors/binance-replay/replay-server.js';
import type { AnyRecord } from '../../../schemas/records.js';
import { realFixtureText } from '../../support/fixtures.js';

let cached: FeedEvent[] | undefined;

/** The first `rows` aggTrades of the real BTCUSD_PERP 2026-05-08 archive as replay events. */
export function cmAggTradeEvents(rows: number): FeedEvent[] {
  cached ??= eventsFromArchiveCsv(realFixtureText('BTCUSD_PERP-aggTrades-2026-05-08.zip'), 'cm', { symbol: 'BTCUSD_PERP', type: 'aggTrades', interval: null });
  return cached.slice(0, rows);
}

/**
 * Trades derived from the same real aggTrades (one trade per id f..l of each aggregate, same price, time
 * and side, the aggregate's quantity on its first trade), written as a trades CSV and read by the replay
 * server's archive reader — the fixtures hold no trades archive.
 */
export function cmTradeEvents(aggRows: number): FeedEvent[] {
  const lines: string[] = [];
  for (const event of cmAggTradeEvents(aggRows)) {
    const d = event.data as Record<string, unknown>;
    for (let id = d.f as number; id <= (d.l as number); id++) {
      lines.push([id, d.p, id === d.f ? d.q : '1', '0', d.T, String(d.m)].join(','));
    }
  }
  return eventsFromArchiveCsv(`id,price,qty,base_qty,time,is_buyer_maker\n${lines.join('\n')}\n`, 'cm', { symbol: 'BTCUSD_PERP', type: 'trades', interval: null });
}

/** A COIN-M feed of `events`. */
export function cmFeed(events: FeedEvent[]): ReplayFeed {
  return { market: 'cm', events, snapshots: new Map() };
}

/** Collections not finished yet: a test that timed out leaves its live client reconnecting. */
const running = new Set<Subscription>();
// Without this a timed-out test fails but its client keeps the file's process, and the unit run, alive.
after(() => { for (const subscription of running) subscription.unsubscribe(); });

/** Collects records until `done(record)` holds for one of them (inclusive); unsubscribed when the file's tests end. */
export function collectUntil(source: Observable<AnyRecord>, done: (record: AnyRecord) => boolean): Promise<AnyRecord[]> {
  return new Promise((resolve, reject) => {
    const subscription = new Subscription(() => running.delete(subscription));
    running.add(subscription);
    subscription.add(source.pipe(takeWhile((r) => !done(r), true), toArray()).subscribe({
      next: resolve,
      error: (error: unknown) => { subscription.unsubscribe(); reject(error); },
      complete: () => subscription.unsubscribe(),
    }));
  });
}

/** Collects records until every condition has held for at least one record (inclusive). */
export function collectUntilAll(source: Observable<AnyRecord>, conditions: ((record: AnyRecord) => boolean)[]): Promise<AnyRecord[]> {
  const pending = new Set(conditions);
  return collectUntil(source, (r) => {
    for (const condition of pending) if (condition(r)) pending.delete(condition);
    return pending.size === 0;
  });
}

/** True for a gap record whose repair finished (any state but `open`). */
export const isSettledGap = (r: AnyRecord): boolean => r.kind === 'gap' && r.state !== 'open';

/** One stop of {@link bookSteps}: the feed plays through its `diff`-th diff (0-based), then `then` runs. */
export interface BookStop { readonly diff: number; readonly then?: () => void | Promise<void> }

/**
 * Plays `server` (not started yet) in steps so a fault lands on a known diff whatever the load: the feed
 * plays through the first stop's diff of `stream` and pauses; once the client's book has caught up with it
 * (a depth update or a snapshot at or past its `u`), the stop's `then` runs (e.g. arming a hole: the next
 * diff is then the one withheld; a promise returned holds the feed until it settles) and the feed plays on
 * to the next stop, and after the last one to the end.
 * Returns the operator that watches the client's records.
 */
export function bookSteps(server: ReplayServer, events: readonly FeedEvent[], stream: string, stops: readonly BookStop[]): MonoTypeOperatorFunction<AnyRecord> {
  const diffs = events.flatMap((e, index) => (e.stream === stream ? [{ index, u: (e.data as { u: number }).u }] : []));
  const through = (stop: BookStop | undefined): number => (stop === undefined ? Infinity : diffs[stop.diff].index + 1);
  let next = 0;
  server.pauseAt(through(stops[0]));
  return tap((r) => {
    const stop = stops[next];
    if (stop === undefined || (r.kind !== 'depthUpdate' && r.kind !== 'bookSnapshot') || r.finalUpdateId < diffs[stop.diff].u) return;
    next++;
    void Promise.resolve(stop.then?.()).then(() => server.pauseAt(through(stops[next])));
  });
}
