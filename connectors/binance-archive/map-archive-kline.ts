/**
 * Kline rows (klines, markPriceKlines, indexPriceKlines, premiumIndexKlines), 12 columns:
 * `open_time, open, high, low, close, volume, close_time, quote_volume, count, taker_buy_volume,
 * taker_buy_quote_volume, ignore`. COIN-M trade klines: col 6 is contracts, col 8 base-asset volume (despite
 * the header), col 10 taker-buy contracts, col 11 taker-buy base volume. Mark/index/premium klines carry only
 * OHLC and the sample count (their volume columns are not read). Times in ms or µs per value.
 */
import type { KlineRecord } from '../../schemas/records.js';
import type { RowCursor } from './row-cursor.js';
import type { RowContext } from './row-context.js';

/** Maps one archive kline row. */
export function mapArchiveKline(r: RowCursor, x: RowContext): KlineRecord {
  r.begin(12, 'kline');
  const trade = x.priceKind === 'trade';
  const coinM = x.market === 'cm';
  const openTimeUs = r.epochUs('open_time');
  const open = r.num('open'); const high = r.num('high'); const low = r.num('low'); const close = r.num('close');
  let volume: number | null = null;
  if (trade) volume = r.num('volume'); else r.skip();
  const closeTimeUs = r.epochUs('close_time');
  let col8: number | null = null;
  if (trade) col8 = r.num('quote_volume'); else r.skip();
  const tradeCount = r.int('count');
  let takerVolume: number | null = null;
  let takerCol11: number | null = null;
  if (trade) { takerVolume = r.num('taker_buy_volume'); takerCol11 = r.num('taker_buy_quote_volume'); } else { r.skip(); r.skip(); }
  r.skip();
  r.done();
  return {
    kind: 'kline', exchange: 'binance', market: x.market, symbol: x.symbol, eventTimeUs: openTimeUs,
    source: 'archive', receiveTimeUs: null, ingestId: x.ingestId, version: x.version,
    priceKind: x.priceKind ?? 'trade', interval: x.interval ?? '1m', openTimeUs, closeTimeUs, open, high, low, close,
    volume: coinM ? null : volume, quoteVolume: coinM ? null : col8,
    contracts: coinM ? volume : null, baseVolume: coinM ? col8 : null, tradeCount,
    takerBuyVolume: coinM ? null : takerVolume, takerBuyQuoteVolume: coinM ? null : takerCol11,
    takerBuyContracts: coinM ? takerVolume : null, takerBuyBaseVolume: coinM ? takerCol11 : null,
    isClosed: true,
  };
}
