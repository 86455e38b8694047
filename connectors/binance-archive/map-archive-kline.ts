/**
 * Kline rows (klines, markPriceKlines, indexPriceKlines, premiumIndexKlines), 12 columns:
 * `open_time, open, high, low, close, volume, close_time, quote_volume, count, taker_buy_volume,
 * taker_buy_quote_volume, ignore`. COIN-M trade klines: col 6 is contracts, col 8 base-asset volume (despite
 * the header), col 10 taker-buy contracts, col 11 taker-buy base volume. Mark/index/premium klines carry only
 * OHLC and the sample count. Times in ms or µs per value.
 */
import type { KlineRecord } from '../../schemas/records.js';
import { epochUs, expectColumns, int, num } from './map-archive-cells.js';
import type { RowContext } from './row-context.js';

/** Maps one archive kline row. */
export function mapArchiveKline(c: readonly string[], x: RowContext): KlineRecord {
  expectColumns(c, 12, 'kline');
  const openTimeUs = epochUs(c[0], 'open_time');
  const trade = x.priceKind === 'trade';
  const coinM = x.market === 'cm';
  const volume = trade ? num(c[5], 'volume') : null;
  const col8 = trade ? num(c[7], 'quote_volume') : null;
  const takerVolume = trade ? num(c[9], 'taker_buy_volume') : null;
  const takerCol11 = trade ? num(c[10], 'taker_buy_quote_volume') : null;
  return {
    kind: 'kline', exchange: 'binance', market: x.market, symbol: x.symbol, eventTimeUs: openTimeUs,
    source: 'archive', receiveTimeUs: null, ingestId: x.ingestId, version: x.version,
    priceKind: x.priceKind ?? 'trade', interval: x.interval ?? '1m', openTimeUs, closeTimeUs: epochUs(c[6], 'close_time'),
    open: num(c[1], 'open'), high: num(c[2], 'high'), low: num(c[3], 'low'), close: num(c[4], 'close'),
    volume: coinM ? null : volume, quoteVolume: coinM ? null : col8,
    contracts: coinM ? volume : null, baseVolume: coinM ? col8 : null,
    tradeCount: int(c[8], 'count'),
    takerBuyVolume: coinM ? null : takerVolume, takerBuyQuoteVolume: coinM ? null : takerCol11,
    takerBuyContracts: coinM ? takerVolume : null, takerBuyBaseVolume: coinM ? takerCol11 : null,
    isClosed: true,
  };
}
