/**
 * Decodes one raw WebSocket text frame into records: unwraps combined-stream frames (`{stream,data}`), maps
 * bare arrays (raw `/ws/!markPrice@arr`), recognises control replies (`{result,id}`, `{code,msg}`,
 * `{error:{code,msg},id}`) and `serverShutdown` notices, dispatches on the event type (`e`) — or, for the
 * spot bookTicker that has no `e`, on the stream name — and turns anything undecodable into a `deadLetter`
 * record carrying the raw frame (the stream continues). Events the connector does not model (tickers,
 * partial depth) decode to no records.
 */
import { DecodeError, EngineError } from '../../schemas/errors.js';
import type { AnyRecord, DeadLetterRecord } from '../../schemas/records.js';
import { US_PER_MS } from '../../schemas/time.js';
import { makeVersion } from '../../schemas/version.js';
import { asObject, type JsonObject } from './frame-fields.js';
import type { FrameContext, LiveMarket } from './live-context.js';
import { mapBinanceBookTicker, mapBinanceDepthUpdate } from './map-binance-book.js';
import { mapBinanceForceOrder, mapBinanceMarkPrice } from './map-binance-futures.js';
import { mapBinanceKline } from './map-binance-kline.js';
import { mapBinanceAggTrade, mapBinanceTrade } from './map-binance-trade.js';

/** What a frame turned out to be. */
export type DecodedFrame =
  | { readonly type: 'records'; readonly stream: string | null; readonly records: AnyRecord[] }
  | { readonly type: 'reply'; readonly id: unknown; readonly error: string | null }
  /** `serverShutdown` (`{"e":"serverShutdown","E":…}`, combined stream `!serverShutdown`): this socket will close soon. */
  | { readonly type: 'shutdown'; readonly eventTimeMs: number | null };

function mapEvent(event: JsonObject, stream: string | null, context: FrameContext): AnyRecord[] {
  switch (event.e) {
    case 'trade': return [mapBinanceTrade(event, context)];
    case 'aggTrade': return [mapBinanceAggTrade(event, context)];
    case 'kline': return [mapBinanceKline(event, context)];
    case 'depthUpdate': return stream !== null && /@depth(5|10|20)\b/.test(stream) ? [] : [mapBinanceDepthUpdate(event, context)];
    case 'bookTicker': return [mapBinanceBookTicker(event, context)];
    case 'markPriceUpdate': return mapBinanceMarkPrice(event, context);
    case 'forceOrder': return [mapBinanceForceOrder(event, context)];
    case undefined:
      if (stream?.endsWith('bookTicker') === true || (event.u !== undefined && event.b !== undefined && event.s !== undefined)) {
        return [mapBinanceBookTicker(event, context)];
      }
      return [];
    default: return [];
  }
}

/** The error of a control reply: flat `{code,msg}`, nested `{error:{code,msg},id}`, or null for a success. */
function replyError(frame: JsonObject): string | null {
  const nested = frame.error;
  if (nested !== undefined && nested !== null) {
    if (typeof nested !== 'object') return String(nested);
    const { code, msg } = nested as JsonObject;
    return `${String(code)}: ${String(msg)}`;
  }
  return 'code' in frame ? `${String(frame.code)}: ${String(frame.msg)}` : null;
}

/** The lineage name of a bare array frame (raw `/ws/!markPrice@arr`): its first event type + `@arr`. */
function arrayStreamOf(events: unknown[]): string {
  const first = events[0];
  const e = typeof first === 'object' && first !== null ? (first as JsonObject).e : undefined;
  return `${typeof e === 'string' ? e : 'raw'}@arr`;
}

/** Lineage ids by prefix and stream name, so the records of a stream share one string (bounded). */
const INGEST_IDS = new Map<string, Map<string, string>>();
const MAX_INGEST_IDS = 4096;

function ingestIdOf(prefix: string, stream: string): string {
  let ofPrefix = INGEST_IDS.get(prefix);
  if (ofPrefix === undefined) INGEST_IDS.set(prefix, (ofPrefix = new Map()));
  let id = ofPrefix.get(stream);
  if (id === undefined) {
    if (ofPrefix.size >= MAX_INGEST_IDS) ofPrefix.clear();
    ofPrefix.set(stream, (id = `${prefix}${stream}`));
  }
  return id;
}

/** A deadLetter record for a frame that could not be decoded. */
export function deadLetterOf(error: unknown, raw: string, market: LiveMarket, receiveMs: number, ingestId: string): DeadLetterRecord {
  const receiveUs = Math.round(receiveMs * US_PER_MS);
  return {
    kind: 'deadLetter', exchange: 'binance', market, symbol: '', eventTimeUs: receiveUs, source: 'ws',
    receiveTimeUs: receiveUs, ingestId, version: makeVersion('ws', receiveMs, true),
    errorName: error instanceof EngineError ? error.name : 'DecodeError',
    reason: error instanceof Error ? error.message : String(error),
    raw, originFile: null, originLine: null,
  };
}

/** Decodes one text frame of `market` received at `receiveMs`. Never throws. */
export function mapBinanceFrame(raw: string, market: LiveMarket, receiveMs: number, ingestPrefix = 'ws:'): DecodedFrame {
  let stream: string | null = null;
  try {
    let parsed: unknown;
    try { parsed = JSON.parse(raw); } catch (error) { throw new DecodeError('frame is not JSON', raw, {}, error); }
    if (Array.isArray(parsed)) {
      const context: FrameContext = { market, receiveMs, ingestId: `${ingestPrefix}${arrayStreamOf(parsed)}` };
      return { type: 'records', stream: null, records: parsed.flatMap((event) => mapEvent(asObject(event, raw), null, context)) };
    }
    const frame = asObject(parsed, raw);
    // A combined-stream envelope is data; only a bare object can be a control reply.
    const wrapped = typeof frame.stream === 'string' && 'data' in frame;
    if (!wrapped && ('result' in frame || 'error' in frame || ('id' in frame && !('e' in frame)) || ('code' in frame && 'msg' in frame))) {
      return { type: 'reply', id: frame.id ?? null, error: replyError(frame) };
    }
    stream = wrapped ? (frame.stream as string) : null;
    const context: FrameContext = { market, receiveMs, ingestId: ingestIdOf(ingestPrefix, stream ?? String(frame.e ?? 'raw')) };
    const data = wrapped ? frame.data : frame;
    if (typeof data === 'object' && data !== null && (data as JsonObject).e === 'serverShutdown') {
      const e = (data as JsonObject).E;
      return { type: 'shutdown', eventTimeMs: typeof e === 'number' ? e : null };
    }
    const records = Array.isArray(data)
      ? data.flatMap((event) => mapEvent(asObject(event, raw), stream, context))
      : mapEvent(asObject(data, raw), stream, context);
    return { type: 'records', stream, records };
  } catch (error) {
    return { type: 'records', stream, records: [deadLetterOf(error, raw, market, receiveMs, `${ingestPrefix}${stream ?? 'unknown'}`)] };
  }
}
