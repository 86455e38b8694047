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
export function describeArchiveFile(path: string): ArchiveFileInfo {
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

/** What an archive file is, as {@link describeArchiveFile} names it. */
export interface ArchiveFileInfo { readonly symbol: string; readonly type: ReplayArchiveType; readonly interval: string | null }

/** A decimal or id cell as JSON: verbatim when it is plain number text (always, in real archives). */
function jsonText(cell: string): string {
  return PLAIN.test(cell) ? `"${cell}"` : JSON.stringify(cell);
}
const PLAIN = /^[-+.\deE]*$/;
const jsonNumber = (value: number): string => (Number.isFinite(value) ? String(value) : 'null');

/** A streamed archive event: its position and JSON besides the payload (one shape, for the JIT). */
class PlacedEvent implements FeedEvent {
  constructor(
    readonly timeMs: number, readonly stream: string, readonly data: Payload, readonly restRow: Payload | unknown[] | undefined,
    readonly raw: string, readonly origin: number, readonly offset: number,
  ) {}
}

/** The stream name of a file's events (`btcusdt@trade`), worked out once per file. */
export function streamOfFile(file: ArchiveFileInfo): string {
  let stream = STREAMS.get(file);
  if (stream === undefined) {
    const lower = file.symbol.toLowerCase();
    stream = file.type === 'trades' ? `${lower}@trade` : file.type === 'aggTrades' ? `${lower}@aggTrade` : `${lower}@kline_${file.interval}`;
    STREAMS.set(file, stream);
  }
  return stream;
}
const STREAMS = new WeakMap<ArchiveFileInfo, string>();

/**
 * The feed event of one archive row (its cells). Given where the row is (`origin`: the file's index in the
 * feed, `offset`: the line's byte offset in its CSV; streamed feeds), the event also carries that position and
 * its payload's JSON, written here from the cells (the server then sends it without serialising the payload).
 */
export function eventOf(cells: string[], file: ArchiveFileInfo, market: LiveMarket, origin = -1, offset = -1): FeedEvent {
  const s = file.symbol;
  const stream = streamOfFile(file);
  if (file.type === 'aggTrades') {
    const [a, p, q, f, l, t, m, M] = cells;
    const time = ms(t);
    const data: Payload = { e: 'aggTrade', E: time, s, a: Number(a), p, q, f: Number(f), l: Number(l), T: time, m: bool(m) };
    const best = market === 'spot' && M !== undefined;
    if (best) data.M = bool(M);
    const restRow = restRowOf(data);
    if (origin < 0) return { timeMs: time, stream, data, restRow };
    const raw = `{"e":"aggTrade","E":${jsonNumber(time)},"s":${JSON.stringify(s)},"a":${jsonNumber(data.a as number)},"p":${jsonText(p)},"q":${jsonText(q)},"f":${jsonNumber(data.f as number)},"l":${jsonNumber(data.l as number)},"T":${jsonNumber(time)},"m":${String(data.m)}${best ? `,"M":${String(data.M)}` : ''}}`;
    return new PlacedEvent(time, stream, data, restRow, raw, origin, offset);
  }
  if (file.type === 'trades') {
    const [id, p, q, quoteQty, t, m, M] = cells;
    const time = ms(t);
    const tradeId = Number(id);
    const maker = bool(m);
    const data: Payload = { e: 'trade', E: time, s, t: tradeId, p, q, T: time, m: maker };
    const best = market === 'spot' && M !== undefined;
    const restRow: Payload = { id: tradeId, price: p, qty: q, time, isBuyerMaker: maker };
    if (best) { data.M = bool(M); restRow.isBestMatch = data.M; }
    if (market === 'cm') restRow.baseQty = quoteQty; else restRow.quoteQty = quoteQty;
    if (origin < 0) return { timeMs: time, stream, data, restRow };
    const raw = `{"e":"trade","E":${jsonNumber(time)},"s":${JSON.stringify(s)},"t":${jsonNumber(tradeId)},"p":${jsonText(p)},"q":${jsonText(q)},"T":${jsonNumber(time)},"m":${String(maker)}${best ? `,"M":${String(data.M)}` : ''}}`;
    return new PlacedEvent(time, stream, data, restRow, raw, origin, offset);
  }
  const [t, o, h, l, c, v, closeTime, q, n, V, Q] = cells;
  const k = { t: ms(t), T: ms(closeTime), s, i: file.interval, f: -1, L: -1, o, c, h, l, v, n: Number(n), x: true, q, V, Q, B: '0' };
  const data: Payload = { e: 'kline', E: ms(closeTime), s, k };
  if (origin < 0) return { timeMs: ms(closeTime), stream, data, restRow: restRowOf(data) };
  return new PlacedEvent(ms(closeTime), stream, data, restRowOf(data), JSON.stringify(data), origin, offset);
}

/** Reads CSV text of one archive file into feed events. */
export function eventsFromArchiveCsv(text: string, market: LiveMarket, file: ArchiveFileInfo): FeedEvent[] {
  return eventsFromLines(text.split('\n'), market, file, []);
}

function eventsFromLines(lines: readonly string[], market: LiveMarket, file: ArchiveFileInfo, into: FeedEvent[]): FeedEvent[] {
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === '' || !/^\d/.test(trimmed)) continue;
    into.push(eventOf(trimmed.split(','), file, market));
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
