/**
 * What a mapper needs to know besides the payload: the market, the local receive time and the lineage id.
 * Shared by the WebSocket mappers (`source: 'ws'`) and the REST repair mappers (`source: 'rest'`).
 */
import type { Market } from '../../schemas/ids.js';
import { US_PER_MS } from '../../schemas/time.js';

/** The markets the live connector speaks to (European options are not streamed). */
export const LIVE_MARKETS = ['spot', 'um', 'cm'] as const;
export type LiveMarket = (typeof LIVE_MARKETS)[number] & Market;

/** Context of one received payload. */
export interface FrameContext {
  readonly market: LiveMarket;
  /** Local wall-clock receive time, ms since the epoch. */
  readonly receiveMs: number;
  /** Lineage: `ws:<stream>` for frames, the REST path for REST rows. */
  readonly ingestId: string;
}

/** The common fields of a live record, except `version` (which depends on the kind). */
export function commonFields(context: FrameContext, symbol: string, eventTimeUs: number, source: 'ws' | 'rest') {
  return {
    exchange: 'binance' as const,
    market: context.market,
    symbol,
    eventTimeUs,
    source,
    receiveTimeUs: Math.round(context.receiveMs * US_PER_MS),
    ingestId: context.ingestId,
  };
}
