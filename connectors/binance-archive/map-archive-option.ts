/**
 * Option archive rows: BVOLIndex (`calc_time, symbol, base_asset, quote_asset, index_value`) and EOHSummary
 * (`date, hour, symbol, underlying, type, strike, open, …, openinterest_usdt`, 26 columns; eventTimeUs =
 * date + hour; the record's symbol is the option contract of the row, the file's symbol its underlying).
 */
import type { BvolIndexRecord, EohSummaryRecord } from '../../schemas/records.js';
import { US_PER_HOUR, parseUtcDayUs } from '../../schemas/time.js';
import { DecodeError } from '../../schemas/errors.js';
import { epochUs, expectColumns, int, num, numOrNull, str } from './map-archive-cells.js';
import type { RowContext } from './row-context.js';

/** Maps one BVOLIndex row. */
export function mapArchiveBvolIndex(c: readonly string[], x: RowContext): BvolIndexRecord {
  expectColumns(c, 5, 'BVOLIndex');
  return {
    kind: 'bvolIndex', exchange: 'binance', market: x.market, symbol: str(c[1], 'symbol'), eventTimeUs: epochUs(c[0], 'calc_time'),
    source: 'archive', receiveTimeUs: null, ingestId: x.ingestId, version: x.version,
    baseAsset: str(c[2], 'base_asset'), quoteAsset: str(c[3], 'quote_asset'), indexValue: num(c[4], 'index_value'),
  };
}

const EOH_DOUBLES = [
  'open', 'high', 'low', 'close', 'volumeContracts', 'volumeUsdt', 'bestBidPrice', 'bestAskPrice', 'bestBidQty',
  'bestAskQty', 'bestBuyIv', 'bestSellIv', 'markPrice', 'markIv', 'delta', 'gamma', 'vega', 'theta',
  'openInterestContracts', 'openInterestUsdt',
] as const;

/** Maps one EOHSummary row. */
export function mapArchiveEohSummary(c: readonly string[], x: RowContext): EohSummaryRecord {
  expectColumns(c, 26, 'EOHSummary');
  const hour = int(c[1], 'hour');
  if (hour > 23) throw new DecodeError(`column hour: expected 0–23, got ${hour}`, c[1] ?? '');
  let dayUs: number;
  try { dayUs = parseUtcDayUs(c[0] ?? ''); } catch { throw new DecodeError(`column date: expected YYYY-MM-DD, got ${JSON.stringify(c[0])}`, c[0] ?? ''); }
  const doubles = {} as Record<(typeof EOH_DOUBLES)[number], number | null>;
  EOH_DOUBLES.forEach((name, i) => { doubles[name] = numOrNull(c[6 + i], name); });
  return {
    kind: 'eohSummary', exchange: 'binance', market: x.market, symbol: str(c[2], 'symbol'), eventTimeUs: dayUs + hour * US_PER_HOUR,
    source: 'archive', receiveTimeUs: null, ingestId: x.ingestId, version: x.version,
    hour, underlying: str(c[3], 'underlying'), optionType: str(c[4], 'type'), strike: numOrNull(c[5], 'strike'), ...doubles,
  };
}
