/** Builds the in-band `gap` records the live connector emits (disconnects, id holes, book sequence breaks). */
import type { GapCause, GapState } from '../../schemas/ids.js';
import type { GapRecord } from '../../schemas/records.js';
import { US_PER_MS } from '../../schemas/time.js';
import { makeVersion } from '../../schemas/version.js';
import type { LiveMarket } from './live-context.js';

/** What a gap is about and its fate. */
export interface GapSpec {
  readonly market: LiveMarket;
  readonly symbol: string;
  readonly dataType: 'trade' | 'aggTrade' | 'kline' | 'bookTicker' | 'depthUpdate' | 'markPrice' | 'liquidation';
  readonly interval?: string | null;
  readonly fromUs: number;
  readonly toUs: number;
  readonly fromId?: number | null;
  readonly toId?: number | null;
  readonly cause: GapCause;
  readonly state: GapState;
  readonly filledCount?: number;
  readonly detail?: string | null;
  /** Local time the gap was (re)reported, ms: sets receiveTimeUs and the version (later report wins). */
  readonly receiveMs: number;
  readonly ingestId: string;
}

/** The stream key of a gap, as schemas/identity.ts `streamKeyOf` spells it for the data it is about. */
export function gapStreamKey(market: LiveMarket, dataType: GapSpec['dataType'], symbol: string, interval?: string | null): string {
  return dataType === 'kline' ? `binance.${market}.kline.trade.${interval ?? ''}.${symbol}` : `binance.${market}.${dataType}.${symbol}`;
}

/** A gap record. */
export function makeGap(spec: GapSpec): GapRecord {
  const toUs = Math.max(spec.toUs, spec.fromUs);
  return {
    kind: 'gap', exchange: 'binance', market: spec.market, symbol: spec.symbol, eventTimeUs: spec.fromUs, source: 'ws',
    receiveTimeUs: Math.round(spec.receiveMs * US_PER_MS), ingestId: spec.ingestId,
    version: makeVersion('ws', spec.receiveMs, spec.state !== 'open'),
    stream: gapStreamKey(spec.market, spec.dataType, spec.symbol, spec.interval),
    dataType: spec.dataType, interval: spec.interval ?? null,
    fromUs: spec.fromUs, toUs, fromId: spec.fromId ?? null, toId: spec.toId ?? null,
    cause: spec.cause, state: spec.state, filledCount: spec.filledCount ?? 0, detail: spec.detail ?? null,
  };
}
