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

/**
 * A streamed archive event: its time and position, and its CSV line; the JSON, payload and REST row are made
 * from the line when asked for (the JSON once per play, as it is sent). What outlives a played row (events
 * read ahead, the recent rows kept for REST) is this object and one short string, so the rest dies young: V8
 * copies every object that survives its young generation, and copying each event's JSON and payload
 * was the streaming server's largest cost.
 */
class PlacedEvent implements FeedEvent {
  constructor(
    readonly timeMs: number, readonly stream: string, readonly type: string, private readonly line: string, readonly origin: number,
    readonly offset: number, private readonly file: ArchiveFileInfo, private readonly market: LiveMarket,
  ) {}

  get raw(): string { return fastRawOf(this.line, this.file, this.market) ?? rawOf(this.line.split(','), this.file, this.market); }
  get data(): Payload { return eventOf(this.line.split(','), this.file, this.market).data as Payload; }
  get restRow(): Payload | unknown[] | undefined { return eventOf(this.line.split(','), this.file, this.market).restRow; }
}

/** Column of the time a row is played at: trades `time`, aggTrades `transact_time`, klines `close_time`. */
const TIME_COLUMN: Record<ReplayArchiveType, number> = { trades: 4, aggTrades: 5, klines: 6 };
const EVENT_TYPE: Record<ReplayArchiveType, string> = { trades: 'trade', aggTrades: 'aggTrade', klines: 'kline' };

/**
 * The streamed feed event of one archive row (a CSV line without its line end) at `offset` (its byte offset in
 * the CSV) of file `origin` (its index in the feed).
 */
export function placedEventOf(line: string, file: ArchiveFileInfo, market: LiveMarket, origin: number, offset: number): FeedEvent {
  let at = 0;
  for (let column = TIME_COLUMN[file.type]; column > 0 && at >= 0; column--) { const comma = line.indexOf(',', at); at = comma < 0 ? -1 : comma + 1; }
  const end = at < 0 ? -1 : line.indexOf(',', at);
  const time = at < 0 ? Number.NaN : ms(line.slice(at, end < 0 ? line.length : end));
  return new PlacedEvent(time, streamOfFile(file), EVENT_TYPE[file.type], line, origin, offset, file, market);
}

/** The payload JSON of an archive row, written from its cells (the same JSON as the payload {@link eventOf} makes). */
function rawOf(cells: string[], file: ArchiveFileInfo, market: LiveMarket): string {
  const s = symbolJson(file.symbol);
  if (file.type === 'aggTrades') {
    const [a, p, q, f, l, t, m, M] = cells;
    const time = jsonNumber(ms(t));
    const best = market === 'spot' && M !== undefined ? `,"M":${String(bool(M))}` : '';
    return `{"e":"aggTrade","E":${time},"s":${s},"a":${jsonNumber(Number(a))},"p":${jsonText(p)},"q":${jsonText(q)},"f":${jsonNumber(Number(f))},"l":${jsonNumber(Number(l))},"T":${time},"m":${String(bool(m))}${best}}`;
  }
  if (file.type === 'trades') {
    const [id, p, q, , t, m, M] = cells;
    const time = jsonNumber(ms(t));
    const best = market === 'spot' && M !== undefined ? `,"M":${String(bool(M))}` : '';
    return `{"e":"trade","E":${time},"s":${s},"t":${jsonNumber(Number(id))},"p":${jsonText(p)},"q":${jsonText(q)},"T":${time},"m":${String(bool(m))}${best}}`;
  }
  return JSON.stringify(eventOf(cells, file, market).data);
}

/**
 * {@link rawOf} of a trades or aggTrades line with the usual column count, without splitting it: the cells are
 * sliced once, and integer ids and ms/µs times in their canonical text are copied rather than parsed and
 * printed again. Undefined for any other line (then {@link rawOf} writes it). The same JSON as {@link rawOf}.
 */
function fastRawOf(line: string, file: ArchiveFileInfo, market: LiveMarket): string | undefined {
  if (file.type === 'klines') return undefined;
  const trades = file.type === 'trades';
  const best = market === 'spot';
  // Commas of a spot row (isBestMatch last) or a futures row: trades 6 / 5, aggTrades 7 / 6.
  const commas = (trades ? 5 : 6) + (best ? 1 : 0);
  const at = COMMAS;
  let from = 0;
  for (let i = 0; i < commas; i++) { const comma = line.indexOf(',', from); if (comma < 0) return undefined; at[i] = comma; from = comma + 1; }
  if (line.indexOf(',', from) >= 0) return undefined;
  at[commas] = line.length;
  // Cell i is line.slice(at[i - 1] + 1, at[i]) (no closure: this runs once per played event).
  const s = symbolJson(file.symbol);
  const id = intText(line.slice(0, at[0]));
  const p = jsonText(line.slice(at[0] + 1, at[1]));
  const q = jsonText(line.slice(at[1] + 1, at[2]));
  if (trades) {
    const time = msText(line.slice(at[3] + 1, at[4]));
    const bestMatch = best ? `,"M":${boolText(line.slice(at[5] + 1, at[6]))}` : '';
    return `{"e":"trade","E":${time},"s":${s},"t":${id},"p":${p},"q":${q},"T":${time},"m":${boolText(line.slice(at[4] + 1, at[5]))}${bestMatch}}`;
  }
  const time = msText(line.slice(at[4] + 1, at[5]));
  const bestMatch = best ? `,"M":${boolText(line.slice(at[6] + 1, at[7]))}` : '';
  return `{"e":"aggTrade","E":${time},"s":${s},"a":${id},"p":${p},"q":${q},"f":${intText(line.slice(at[2] + 1, at[3]))},"l":${intText(line.slice(at[3] + 1, at[4]))},"T":${time},"m":${boolText(line.slice(at[5] + 1, at[6]))}${bestMatch}}`;
}
const COMMAS = new Int32Array(9);

/** Number of digits when `text` is a non-negative integer without leading zeros (canonical), else -1. */
function canonicalDigits(text: string): number {
  const length = text.length;
  if (length === 0 || (length > 1 && text.charCodeAt(0) === 48)) return -1;
  for (let i = 0; i < length; i++) { const c = text.charCodeAt(i); if (c < 48 || c > 57) return -1; }
  return length;
}

/** An id cell as JSON, as `jsonNumber(Number(text))` writes it: copied when it is a canonical integer below 10^15. */
function intText(text: string): string {
  const digits = canonicalDigits(text);
  return digits > 0 && digits <= 15 ? text : jsonNumber(Number(text));
}

/**
 * A time cell in ms as JSON, as `jsonNumber(ms(text))` writes it: 13 digits are ms already, 16 are µs (÷ 1000,
 * floored: the last three digits cut, while the division is exact enough to agree, below 8·10^15 µs).
 */
function msText(text: string): string {
  const digits = canonicalDigits(text);
  if (digits === 13) return text;
  if (digits === 16 && text.charCodeAt(0) < 56) return text.slice(0, 13);
  return jsonNumber(ms(text));
}

/** A boolean cell as JSON, as `String(bool(text))` writes it. */
function boolText(text: string): string {
  if (text === 'True' || text === 'true') return 'true';
  if (text === 'False' || text === 'false') return 'false';
  return String(bool(text));
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

/** A symbol as JSON, cached (a file has one). */
function symbolJson(symbol: string): string {
  let json = SYMBOLS.get(symbol);
  if (json === undefined) { json = JSON.stringify(symbol); if (SYMBOLS.size < 4096) SYMBOLS.set(symbol, json); }
  return json;
}
const SYMBOLS = new Map<string, string>();

/** The feed event of one archive row (its cells), payload and REST row built. */
export function eventOf(cells: string[], file: ArchiveFileInfo, market: LiveMarket): FeedEvent {
  const s = file.symbol;
  const stream = streamOfFile(file);
  if (file.type === 'aggTrades') {
    const [a, p, q, f, l, t, m, M] = cells;
    const time = ms(t);
    const data: Payload = { e: 'aggTrade', E: time, s, a: Number(a), p, q, f: Number(f), l: Number(l), T: time, m: bool(m) };
    if (market === 'spot' && M !== undefined) data.M = bool(M);
    return { timeMs: time, stream, data, restRow: restRowOf(data) };
  }
  if (file.type === 'trades') {
    const [id, p, q, quoteQty, t, m, M] = cells;
    const time = ms(t);
    const tradeId = Number(id);
    const maker = bool(m);
    const best = market === 'spot' && M !== undefined;
    const data: Payload = { e: 'trade', E: time, s, t: tradeId, p, q, T: time, m: maker };
    const restRow: Payload = { id: tradeId, price: p, qty: q, time, isBuyerMaker: maker };
    if (best) { data.M = bool(M); restRow.isBestMatch = data.M; }
    if (market === 'cm') restRow.baseQty = quoteQty; else restRow.quoteQty = quoteQty;
    return { timeMs: time, stream, data, restRow };
  }
  const [t, o, h, l, c, v, closeTime, q, n, V, Q] = cells;
  const k = { t: ms(t), T: ms(closeTime), s, i: file.interval, f: -1, L: -1, o, c, h, l, v, n: Number(n), x: true, q, V, Q, B: '0' };
  const data: Payload = { e: 'kline', E: ms(closeTime), s, k };
  return { timeMs: ms(closeTime), stream, data, restRow: restRowOf(data) };
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
