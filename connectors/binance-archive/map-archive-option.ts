/**
 * Option archive rows: BVOLIndex (`calc_time, symbol, base_asset, quote_asset, index_value`) and EOHSummary
 * (`date, hour, symbol, underlying, type, strike, open, …, openinterest_usdt`, 26 columns; eventTimeUs =
 * date + hour; the record's symbol is the option contract of the row, the file's symbol its underlying).
 */
import type { BvolIndexRecord, EohSummaryRecord } from '../../schemas/records.js';
import { US_PER_HOUR, parseUtcDayUs } from '../../schemas/time.js';
import { DecodeError } from '../../schemas/errors.js';
import type { RowCursor } from './row-cursor.js';
import type { RowContext } from './row-context.js';

/** Maps one BVOLIndex row. */
export function mapArchiveBvolIndex(r: RowCursor, x: RowContext): BvolIndexRecord {
  r.begin(5, 'BVOLIndex');
  const eventTimeUs = r.epochUs('calc_time');
  const symbol = r.text('symbol'); const baseAsset = r.text('base_asset'); const quoteAsset = r.text('quote_asset');
  const indexValue = r.num('index_value');
  r.done();
  return {
    kind: 'bvolIndex', exchange: 'binance', market: x.market, symbol, eventTimeUs,
    source: 'archive', receiveTimeUs: null, ingestId: x.ingestId, version: x.version, baseAsset, quoteAsset, indexValue,
  };
}

const EOH_DOUBLES = [
  'open', 'high', 'low', 'close', 'volumeContracts', 'volumeUsdt', 'bestBidPrice', 'bestAskPrice', 'bestBidQty',
  'bestAskQty', 'bestBuyIv', 'bestSellIv', 'markPrice', 'markIv', 'delta', 'gamma', 'vega', 'theta',
  'openInterestContracts', 'openInterestUsdt',
] as const;

/** Maps one EOHSummary row. */
export function mapArchiveEohSummary(r: RowCursor, x: RowContext): EohSummaryRecord {
  r.begin(26, 'EOHSummary');
  const date = r.text('date');
  let dayUs: number;
  try { dayUs = parseUtcDayUs(date); } catch { throw new DecodeError(`column date: expected YYYY-MM-DD, got ${JSON.stringify(date)}`, date); }
  const hour = r.int('hour');
  if (hour > 23) throw new DecodeError(`column hour: expected 0–23, got ${hour}`, String(hour));
  const symbol = r.text('symbol'); const underlying = r.text('underlying'); const optionType = r.text('type');
  const strike = r.numOrNull('strike');
  const doubles = {} as Record<(typeof EOH_DOUBLES)[number], number | null>;
  for (const name of EOH_DOUBLES) doubles[name] = r.numOrNull(name);
  r.done();
  return {
    kind: 'eohSummary', exchange: 'binance', market: x.market, symbol, eventTimeUs: dayUs + hour * US_PER_HOUR,
    source: 'archive', receiveTimeUs: null, ingestId: x.ingestId, version: x.version,
    hour, underlying, optionType, strike, ...doubles,
  };
}
