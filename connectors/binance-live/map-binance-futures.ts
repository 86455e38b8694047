/**
 * Pure mappers for the futures-only streams: `@markPrice` (a markPrice record, plus the live funding-rate
 * estimate as a fundingRate record) and `@forceOrder` (a liquidation record).
 *
 * The live funding rate is an estimate for the next funding time `T`; it gets the "open ws" version rank so
 * that the archive's settled rate (and any later estimate) wins. COIN-M delivery contracts send `r:""` and
 * `T:0`: no fundingRate record then, and null fields in the markPrice record.
 */
import type { FundingRateRecord, LiquidationRecord, MarkPriceRecord } from '../../schemas/records.js';
import { makeVersion } from '../../schemas/version.js';
import { asObject, dec, int, optDec, str, timeUs, type JsonObject } from './frame-fields.js';
import { commonFields, type FrameContext } from './live-context.js';

/** Maps a `markPriceUpdate` event to a markPrice record and, when it carries a rate, a fundingRate record. */
export function mapBinanceMarkPrice(event: JsonObject, context: FrameContext): [MarkPriceRecord] | [MarkPriceRecord, FundingRateRecord] {
  const symbol = str(event, 's');
  const nextFundingMs = int(event, 'T');
  const fundingRate = optDec(event, 'r');
  const markPrice = dec(event, 'p');
  const mark: MarkPriceRecord = {
    kind: 'markPrice',
    ...commonFields(context, symbol, timeUs(event, 'E'), 'ws'),
    version: makeVersion('ws', context.receiveMs, true),
    markPrice,
    indexPrice: optDec(event, 'i'),
    estimatedSettlePrice: optDec(event, 'P'),
    fundingRate,
    nextFundingTimeUs: nextFundingMs === 0 ? null : timeUs(event, 'T'),
  };
  if (fundingRate === null || nextFundingMs === 0) return [mark];
  const fundingTimeUs = timeUs(event, 'T');
  return [mark, {
    kind: 'fundingRate',
    ...commonFields(context, symbol, fundingTimeUs, 'ws'),
    version: makeVersion('ws', context.receiveMs, false),
    fundingTimeUs,
    calcTimeUs: null,
    fundingRate,
    fundingIntervalHours: null,
    markPrice,
  }];
}

/** Maps a `forceOrder` event (`{e:"forceOrder",E,o:{s,S,o,f,q,p,ap,X,l,z,T}}`) to a liquidation record. */
export function mapBinanceForceOrder(event: JsonObject, context: FrameContext): LiquidationRecord {
  const order = asObject(event.o, JSON.stringify(event));
  return {
    kind: 'liquidation',
    ...commonFields(context, str(order, 's'), timeUs(order, 'T'), 'ws'),
    version: makeVersion('ws', context.receiveMs, true),
    side: str(order, 'S'),
    orderType: str(order, 'o'),
    timeInForce: str(order, 'f'),
    price: dec(order, 'p'),
    avgPrice: optDec(order, 'ap'),
    origQty: dec(order, 'q'),
    lastFilledQty: optDec(order, 'l'),
    filledAccumulatedQty: optDec(order, 'z'),
    orderStatus: str(order, 'X'),
  };
}
