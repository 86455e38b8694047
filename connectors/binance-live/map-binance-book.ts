/**
 * Pure mappers for the order book: `@bookTicker`, `@depth` diffs, and REST depth snapshots.
 *
 * Spot `bookTicker` has no event time (`E`) nor transaction time: eventTimeUs is the local receive time and
 * transactionTimeUs is null. Spot depth diffs have no `pu`/`T` (null). A spot REST snapshot has no `E`:
 * eventTimeUs is the receive time of the response.
 */
import type { BookSnapshotRecord, BookTickerRecord, DepthUpdateRecord } from '../../schemas/records.js';
import { US_PER_MS } from '../../schemas/time.js';
import { makeVersion } from '../../schemas/version.js';
import { dec, int, levels, optTimeUs, str, type JsonObject } from './frame-fields.js';
import { commonFields, type FrameContext } from './live-context.js';

function levelFields(payload: JsonObject, bidsField: string, asksField: string) {
  const bids = levels(payload, bidsField);
  const asks = levels(payload, asksField);
  return { bidPrices: bids.prices, bidQtys: bids.qtys, askPrices: asks.prices, askQtys: asks.qtys };
}

/** Maps a bookTicker event (`{u,s,b,B,a,A}` spot; `{e,u,s,b,B,a,A,T,E}` futures) to a bookTicker record. */
export function mapBinanceBookTicker(event: JsonObject, context: FrameContext): BookTickerRecord {
  const eventTimeUs = optTimeUs(event, 'E') ?? Math.round(context.receiveMs * US_PER_MS);
  return {
    kind: 'bookTicker',
    ...commonFields(context, str(event, 's'), eventTimeUs, 'ws'),
    version: makeVersion('ws', context.receiveMs, true),
    updateId: int(event, 'u'),
    bidPrice: dec(event, 'b'),
    bidQty: dec(event, 'B'),
    askPrice: dec(event, 'a'),
    askQty: dec(event, 'A'),
    transactionTimeUs: optTimeUs(event, 'T'),
  };
}

/** Maps a diff depth event (`{e:"depthUpdate",E,[T],s,U,u,[pu],b,a}`) to a depthUpdate record. */
export function mapBinanceDepthUpdate(event: JsonObject, context: FrameContext): DepthUpdateRecord {
  return {
    kind: 'depthUpdate',
    ...commonFields(context, str(event, 's'), optTimeUs(event, 'E') ?? Math.round(context.receiveMs * US_PER_MS), 'ws'),
    version: makeVersion('ws', context.receiveMs, true),
    firstUpdateId: int(event, 'U'),
    finalUpdateId: int(event, 'u'),
    prevFinalUpdateId: event.pu === undefined ? null : int(event, 'pu'),
    transactionTimeUs: optTimeUs(event, 'T'),
    ...levelFields(event, 'b', 'a'),
  };
}

/** Maps a REST depth response (`{lastUpdateId,[E,T],bids,asks}`) of `symbol` to a bookSnapshot record. */
export function mapBinanceDepthSnapshot(body: JsonObject, symbol: string, context: FrameContext): BookSnapshotRecord {
  return {
    kind: 'bookSnapshot',
    ...commonFields(context, symbol, optTimeUs(body, 'E') ?? Math.round(context.receiveMs * US_PER_MS), 'rest'),
    version: makeVersion('rest', context.receiveMs, true),
    finalUpdateId: int(body, 'lastUpdateId'),
    transactionTimeUs: optTimeUs(body, 'T'),
    ...levelFields(body, 'bids', 'asks'),
  };
}
