/**
 * A tiny reader of data.binance.vision CSV files (trades, aggTrades, klines) into replay feed events, so the
 * replay server can play archives as if they were live. Header sniffed on line one; timestamps classified
 * per value (µs ≥ 1e15) and played in ms like the live API; `True/False` and `true/false` both accepted.
 * Zips are read with the batch layer's streaming zip reader and line splitter (connectors/binance-archive);
 * the cells keep the archive's decimal text verbatim in the played frames.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { readLines } from '../binance-archive/csv.js';
import { openZipEntry, readZipDirectory, selectCsvEntry } from '../binance-archive/unzip.js';
import type { LiveMarket } from '../binance-live/live-context.js';
import { restRowOf, type FeedEvent, type Payload, type ReplayFeed } from './replay-feed.js';

/** Archive data types the replay server can play. */
export const REPLAY_ARCHIVE_TYPES = ['trades', 'aggTrades', 'klines'] as const;
export type ReplayArchiveType = (typeof REPLAY_ARCHIVE_TYPES)[number];

/** What an archive file holds, from its name: `<SYMBOL>-<type|interval>-<date>.(zip|csv)`. */
export function describeArchiveFile(path: string): { symbol: string; type: ReplayArchiveType; interval: string | null } {
  const m = /^([A-Z0-9_]+)-(trades|aggTrades|\d+[smhdwM]|1mo)-\d{4}-\d{2}(?:-\d{2})?/.exec(basename(path));
  if (m === null) throw new Error(`not an archive trades/aggTrades/klines file name: ${basename(path)}`);
  const isType = m[2] === 'trades' || m[2] === 'aggTrades';
  return { symbol: m[1], type: isType ? (m[2] as ReplayArchiveType) : 'klines', interval: isType ? null : m[2] === '1mo' ? '1M' : m[2] };
}

function ms(text: string): number {
  const value = Number(text);
  return value >= 1e15 ? Math.floor(value / 1000) : value >= 1e12 ? value : value * 1000;
}

const bool = (text: string): boolean => text.trim().toLowerCase() === 'true';

function eventOf(cells: string[], type: ReplayArchiveType, symbol: string, interval: string | null, market: LiveMarket): FeedEvent {
  const s = symbol;
  const lower = symbol.toLowerCase();
  if (type === 'aggTrades') {
    const [a, p, q, f, l, t, m, M] = cells;
    const data: Payload = { e: 'aggTrade', E: ms(t), s, a: Number(a), p, q, f: Number(f), l: Number(l), T: ms(t), m: bool(m) };
    if (market === 'spot' && M !== undefined) data.M = bool(M);
    return { timeMs: ms(t), stream: `${lower}@aggTrade`, data, restRow: restRowOf(data) };
  }
  if (type === 'trades') {
    const [id, p, q, quoteQty, t, m, M] = cells;
    const data: Payload = { e: 'trade', E: ms(t), s, t: Number(id), p, q, T: ms(t), m: bool(m) };
    if (market === 'spot' && M !== undefined) data.M = bool(M);
    const restRow = { ...(restRowOf(data) as Payload), ...(market === 'cm' ? { baseQty: quoteQty } : { quoteQty }) };
    return { timeMs: ms(t), stream: `${lower}@trade`, data, restRow };
  }
  const [t, o, h, l, c, v, closeTime, q, n, V, Q] = cells;
  const k = { t: ms(t), T: ms(closeTime), s, i: interval, f: -1, L: -1, o, c, h, l, v, n: Number(n), x: true, q, V, Q, B: '0' };
  const data: Payload = { e: 'kline', E: ms(closeTime), s, k };
  return { timeMs: ms(closeTime), stream: `${lower}@kline_${interval}`, data, restRow: restRowOf(data) };
}

/** Reads CSV text of one archive file into feed events. */
export function eventsFromArchiveCsv(text: string, market: LiveMarket, file: { symbol: string; type: ReplayArchiveType; interval: string | null }): FeedEvent[] {
  return eventsFromLines(text.split('\n'), market, file, []);
}

function eventsFromLines(lines: readonly string[], market: LiveMarket, file: { symbol: string; type: ReplayArchiveType; interval: string | null }, into: FeedEvent[]): FeedEvent[] {
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === '' || !/^\d/.test(trimmed)) continue;
    into.push(eventOf(trimmed.split(','), file.type, file.symbol, file.interval, market));
  }
  return into;
}

/** Reads an archive file (`.zip` or `.csv`) into a feed of `market`. */
export async function feedFromArchiveFile(path: string, market: LiveMarket): Promise<ReplayFeed> {
  const file = describeArchiveFile(path);
  let bytes: AsyncIterable<Buffer | string>;
  if (path.endsWith('.zip')) {
    const entries = await readZipDirectory(path, (await stat(path)).size);
    bytes = await openZipEntry(path, selectCsvEntry(entries, basename(path).replace(/\.zip$/, '.csv'), path));
  } else {
    bytes = createReadStream(path);
  }
  const events: FeedEvent[] = [];
  for await (const lines of readLines(bytes)) eventsFromLines(lines, market, file, events);
  return { market, events, snapshots: new Map() };
}
