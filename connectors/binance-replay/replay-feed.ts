/**
 * The in-memory feed a replay server plays: WebSocket events in time order, plus what its REST endpoints
 * answer (depth snapshots, exchangeInfo, and REST rows derived from the events themselves, so that a
 * client repairing a hole over REST gets exactly the data the stream carried).
 */
import type { LiveMarket } from '../binance-live/live-context.js';
import { parseHttpCapture, parseWsCapture } from './capture-file.js';

/** A JSON object as the exchange sends it. */
export type Payload = Record<string, unknown>;

/** One WebSocket event of the feed. */
export interface FeedEvent {
  /** Exchange time the event is played at, ms (captures: the capture's receive time). */
  readonly timeMs: number;
  /** Stream name as Binance spells it (`btcusdt@aggTrade`). */
  readonly stream: string;
  /** The payload (`data` of a combined frame); an array for `!…@arr` streams. */
  readonly data: Payload | Payload[];
  /** The REST row the same datum has (aggTrades/trades rows, 12-element kline arrays). */
  readonly restRow?: Payload | unknown[];
  /** The payload's event type (`trade`), when its reader knows it without building the payload. */
  readonly type?: string;
  /** The payload's JSON, when its reader wrote it already (sent as is on the first lap). */
  readonly raw?: string;
  /** Streamed archive events: the index of their file in the feed's source, and their line's byte offset in its CSV. */
  readonly origin?: number;
  readonly offset?: number;
}

/** A feed read as it is played instead of held in memory (archive-stream.ts). */
export interface FeedSource {
  /** Opens one pass over every event, in time order, in chunks. */
  open(): AsyncIterable<readonly FeedEvent[]>;
  /** Reads file `origin` again from the line at byte `offset` of its CSV, in file order. */
  reread(origin: number, offset: number): AsyncIterable<readonly FeedEvent[]>;
  /** The streams of the feed (`btcusdt@trade`), known without reading it. */
  readonly streams: readonly string[];
}

/** Everything a replay server serves for one market. */
export interface ReplayFeed {
  readonly market: LiveMarket;
  /** Sorted by `timeMs` (stable); not played when `source` is given. */
  readonly events: FeedEvent[];
  /** The events read as they are played (a bounded look-ahead), instead of `events`. */
  readonly source?: FeedSource;
  /** REST depth bodies by upper-case symbol. */
  readonly snapshots: Map<string, string>;
  /** exchangeInfo body; synthesised from the feed's symbols when absent. */
  readonly exchangeInfo?: string;
}

/** The REST row of a WebSocket payload, for aggTrade, trade and kline events. */
export function restRowOf(data: Payload): Payload | unknown[] | undefined {
  switch (data.e) {
    case 'aggTrade': {
      const { a, p, q, f, l, T, m, M } = data;
      return M === undefined ? { a, p, q, f, l, T, m } : { a, p, q, f, l, T, m, M };
    }
    case 'trade': {
      const row: Payload = { id: data.t, price: data.p, qty: data.q, time: data.T, isBuyerMaker: data.m };
      if (data.M !== undefined) row.isBestMatch = data.M;
      return row;
    }
    case 'kline': {
      const k = data.k as Payload;
      return [k.t, k.o, k.h, k.l, k.c, k.v, k.T, k.q, k.n, k.V, k.Q, k.B ?? '0'];
    }
    default: return undefined;
  }
}

function streamOf(data: Payload): string {
  const symbol = String(data.s ?? '').toLowerCase();
  if (data.e === 'kline') return `${symbol}@kline_${String((data.k as Payload).i)}`;
  if (data.e === 'depthUpdate') return `${symbol}@depth`;
  if (data.e === undefined) return `${symbol}@bookTicker`;
  return `${symbol}@${String(data.e)}`;
}

/** Builds a feed from a WebSocket capture (`*.ws.1.0`) and optionally its REST capture (`*.http.0.0`). */
export function feedFromCapture(market: LiveMarket, wsText: string, httpText?: string, exchangeInfo?: string): ReplayFeed {
  const events: FeedEvent[] = [];
  for (const frame of parseWsCapture(wsText).frames) {
    let parsed: Payload;
    try { parsed = JSON.parse(frame.raw) as Payload; } catch { continue; }
    const wrapped = typeof parsed.stream === 'string' && 'data' in parsed;
    const data = (wrapped ? parsed.data : parsed) as Payload | Payload[];
    const stream = wrapped ? (parsed.stream as string) : Array.isArray(data) ? 'unknown' : streamOf(data);
    events.push({ timeMs: frame.receiveMs, stream, data, restRow: Array.isArray(data) ? undefined : restRowOf(data) });
  }
  const snapshots = new Map<string, string>();
  if (httpText !== undefined) {
    for (const response of parseHttpCapture(httpText).responses) {
      const symbol = response.url.searchParams.get('symbol');
      if (response.url.pathname.endsWith('/depth') && symbol !== null) snapshots.set(symbol.toUpperCase(), response.body);
    }
  }
  return { market, events, snapshots, exchangeInfo };
}

/** The body of the first `exchangeInfo` response in a REST capture (e.g. `BINANCE_FUTURES.0`). */
export function exchangeInfoFromCapture(httpText: string): string | undefined {
  return parseHttpCapture(httpText).responses.find((r) => r.url.pathname.endsWith('/exchangeInfo'))?.body;
}
