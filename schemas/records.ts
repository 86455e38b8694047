/**
 * Every record kind, defined once as a field table. Common fields come first in every kind; then the
 * kind's own fields. The identity key (dedupe, ClickHouse ORDER BY) is a list of field names.
 */
import type { FieldSpec, RecordOf } from './fields.js';
import { EXCHANGES, GAP_CAUSES, GAP_STATES, INDICATORS, MARKETS, PRICE_KINDS, SOURCES } from './ids.js';

/** Fields every record carries. */
export const COMMON_FIELDS = [
  { name: 'exchange', type: 'string', enum: EXCHANGES, doc: 'Exchange id; always `binance` today.' },
  { name: 'market', type: 'string', enum: MARKETS, doc: '`spot`, `um` (USD-M futures), `cm` (COIN-M futures) or `option`.' },
  { name: 'symbol', type: 'string', doc: 'Exchange symbol in upper case as the exchange spells it (`BTCUSDT`, `BTCUSD_PERP`).' },
  { name: 'eventTimeUs', type: 'long', doc: 'Exchange event time, µs since the epoch (UTC). Per kind: see the kind.' },
  { name: 'source', type: 'string', enum: SOURCES, doc: '`archive`, `rest`, `ws`, or `resample`/`fill` for derived rows.' },
  { name: 'receiveTimeUs', type: 'long', nullable: true, doc: 'Local wall-clock time the live frame was received, µs; null for archive and derived rows.' },
  { name: 'ingestId', type: 'string', doc: 'Lineage: the archive object key (+ line), REST request, or `topic/partition/offset`.' },
  { name: 'version', type: 'long', doc: 'Conflict-resolution order (see schemas/version.ts): archive > rest > closed ws > open ws; later ingest over earlier.' },
] as const satisfies readonly FieldSpec[];

/** A record kind: name, doc, field table (common fields included) and identity key. */
export interface KindSpec<K extends string = string, F extends readonly FieldSpec[] = readonly FieldSpec[]> {
  readonly kind: K;
  readonly doc: string;
  readonly fields: F;
  readonly key: readonly string[];
}

function defineKind<const K extends string, const F extends readonly FieldSpec[]>(
  kind: K, doc: string, own: F, key: readonly F[number]['name'][] | readonly string[],
): KindSpec<K, readonly [...typeof COMMON_FIELDS, ...F]> {
  return { kind, doc, fields: [...COMMON_FIELDS, ...own], key };
}

const nullableDouble = <const N extends string>(name: N, doc: string) => ({ name, type: 'double', nullable: true, doc }) as const;

export const TRADE = defineKind('trade', 'One trade. eventTimeUs = trade time.', [
  { name: 'tradeId', type: 'long', doc: 'Trade id, increasing by 1 within a symbol.' },
  { name: 'price', type: 'double', doc: 'Trade price in quote asset.' },
  nullableDouble('qty', 'Quantity in base asset (spot, um); null on COIN-M, where see `contracts`.'),
  nullableDouble('quoteQty', 'Quote-asset amount as reported (spot, um archives); null when the source lacks it.'),
  nullableDouble('contracts', 'COIN-M only: quantity in contracts; null elsewhere.'),
  nullableDouble('baseQty', 'COIN-M only: quantity in base asset as reported (`base_qty`); null elsewhere.'),
  { name: 'isBuyerMaker', type: 'boolean', doc: 'True when the buyer was the maker, i.e. the taker sold.' },
  { name: 'isBestMatch', type: 'boolean', nullable: true, doc: 'Spot only: the trade was at the best price match; null elsewhere.' },
], ['market', 'symbol', 'tradeId']);

export const AGG_TRADE = defineKind('aggTrade', 'Trades of one taker order at one price, aggregated. eventTimeUs = transact time.', [
  { name: 'aggTradeId', type: 'long', doc: 'Aggregate trade id, increasing by 1 within a symbol.' },
  { name: 'price', type: 'double', doc: 'Price in quote asset.' },
  nullableDouble('qty', 'Quantity in base asset (spot, um); null on COIN-M.'),
  nullableDouble('contracts', 'COIN-M only: quantity in contracts.'),
  { name: 'firstTradeId', type: 'long', doc: 'First trade id in the aggregate.' },
  { name: 'lastTradeId', type: 'long', doc: 'Last trade id in the aggregate (inclusive).' },
  { name: 'isBuyerMaker', type: 'boolean', doc: 'True when the buyer was the maker (taker sold).' },
  { name: 'isBestMatch', type: 'boolean', nullable: true, doc: 'Spot only; null elsewhere.' },
], ['market', 'symbol', 'aggTradeId']);

export const KLINE = defineKind('kline', 'A candle. eventTimeUs = openTimeUs.', [
  { name: 'priceKind', type: 'string', enum: PRICE_KINDS, doc: '`trade` (klines), `mark`, `index` or `premium` (premium index) price klines.' },
  { name: 'interval', type: 'string', doc: 'Binance interval, API spelling (`1m`, `1h`, `1M` = calendar month).' },
  { name: 'openTimeUs', type: 'long', doc: 'Window start, µs, UTC-aligned.' },
  { name: 'closeTimeUs', type: 'long', doc: 'Window end as Binance reports it: next open − 1 ms (ms files) or − 1 µs (µs files).' },
  { name: 'open', type: 'double', doc: 'First price.' },
  { name: 'high', type: 'double', doc: 'Highest price.' },
  { name: 'low', type: 'double', doc: 'Lowest price.' },
  { name: 'close', type: 'double', doc: 'Last price.' },
  nullableDouble('volume', 'Base-asset volume (spot, um trade klines); null on COIN-M and for mark/index/premium klines.'),
  nullableDouble('quoteVolume', 'Quote-asset volume (spot, um trade klines).'),
  nullableDouble('contracts', 'COIN-M trade klines: volume in contracts.'),
  nullableDouble('baseVolume', 'COIN-M trade klines: volume in base asset (column 8, labelled quote_volume in the CSV header).'),
  { name: 'tradeCount', type: 'long', nullable: true, doc: 'Number of trades; for mark/index/premium klines the number of price samples.' },
  nullableDouble('takerBuyVolume', 'Base-asset volume bought by takers (spot, um).'),
  nullableDouble('takerBuyQuoteVolume', 'Quote-asset volume bought by takers (spot, um).'),
  nullableDouble('takerBuyContracts', 'COIN-M: contracts bought by takers.'),
  nullableDouble('takerBuyBaseVolume', 'COIN-M: base-asset volume bought by takers.'),
  { name: 'isClosed', type: 'boolean', doc: 'The window is final (archive and REST rows of past windows, ws `x`).' },
], ['market', 'symbol', 'priceKind', 'interval', 'openTimeUs']);

export const BOOK_TICKER = defineKind('bookTicker', 'Best bid/ask. eventTimeUs = event time (spot streams have none: receive time).', [
  { name: 'updateId', type: 'long', doc: 'Order book update id.' },
  { name: 'bidPrice', type: 'double', doc: 'Best bid price.' },
  { name: 'bidQty', type: 'double', doc: 'Best bid quantity (contracts on COIN-M).' },
  { name: 'askPrice', type: 'double', doc: 'Best ask price.' },
  { name: 'askQty', type: 'double', doc: 'Best ask quantity (contracts on COIN-M).' },
  { name: 'transactionTimeUs', type: 'long', nullable: true, doc: 'Matching-engine time (futures `T`); null on spot.' },
], ['market', 'symbol', 'updateId']);

const LEVEL_FIELDS = [
  { name: 'bidPrices', type: 'doubleArray', doc: 'Bid price levels, parallel to bidQtys.' },
  { name: 'bidQtys', type: 'doubleArray', doc: 'Bid quantities; 0 removes the level (updates).' },
  { name: 'askPrices', type: 'doubleArray', doc: 'Ask price levels, parallel to askQtys.' },
  { name: 'askQtys', type: 'doubleArray', doc: 'Ask quantities; 0 removes the level (updates).' },
] as const;

export const DEPTH_UPDATE = defineKind('depthUpdate', 'A diff of the order book (`@depth`). eventTimeUs = event time E.', [
  { name: 'firstUpdateId', type: 'long', doc: 'First update id in the event (U).' },
  { name: 'finalUpdateId', type: 'long', doc: 'Final update id in the event (u).' },
  { name: 'prevFinalUpdateId', type: 'long', nullable: true, doc: 'Futures only: final update id of the previous event (pu).' },
  { name: 'transactionTimeUs', type: 'long', nullable: true, doc: 'Futures only: matching-engine time (T).' },
  ...LEVEL_FIELDS,
], ['market', 'symbol', 'finalUpdateId']);

export const BOOK_SNAPSHOT = defineKind('bookSnapshot', 'A full order book snapshot (REST depth). eventTimeUs = E, or receive time on spot.', [
  { name: 'finalUpdateId', type: 'long', doc: 'lastUpdateId of the snapshot.' },
  { name: 'transactionTimeUs', type: 'long', nullable: true, doc: 'Futures only: matching-engine time (T).' },
  ...LEVEL_FIELDS,
], ['market', 'symbol', 'finalUpdateId']);

export const BOOK_DEPTH = defineKind('bookDepth', 'Aggregated depth band from the bookDepth archive. eventTimeUs = snapshot time (1 s resolution).', [
  { name: 'percentage', type: 'double', doc: 'Band edge in % from mid; negative = bid side.' },
  { name: 'depth', type: 'double', doc: 'Cumulative quantity within the band (base asset; contracts on COIN-M).' },
  { name: 'notional', type: 'double', doc: 'Cumulative notional within the band (quote asset).' },
], ['market', 'symbol', 'eventTimeUs', 'percentage']);

export const FUNDING_RATE = defineKind('fundingRate', 'A funding rate. eventTimeUs = fundingTimeUs.', [
  { name: 'fundingTimeUs', type: 'long', doc: 'Scheduled funding time, µs (archive calc_time floored to the minute; live `T`).' },
  { name: 'calcTimeUs', type: 'long', nullable: true, doc: 'Archive only: the exact calc_time (jitters a few ms after the mark).' },
  { name: 'fundingRate', type: 'double', doc: 'Funding rate as a fraction (0.0001 = 0.01%); live rows are the estimate for the next funding.' },
  { name: 'fundingIntervalHours', type: 'int', nullable: true, doc: 'Hours between fundings (archive only).' },
  nullableDouble('markPrice', 'Mark price at funding, when the source gives it.'),
], ['market', 'symbol', 'fundingTimeUs']);

export const MARK_PRICE = defineKind('markPrice', 'Mark price update (`@markPrice`). eventTimeUs = E.', [
  { name: 'markPrice', type: 'double', doc: 'Mark price.' },
  nullableDouble('indexPrice', 'Index price (null where the stream omits it, e.g. COIN-M).'),
  nullableDouble('estimatedSettlePrice', 'Estimated settle price (P).'),
  nullableDouble('fundingRate', 'Current funding rate estimate (r); null for delivery contracts.'),
  { name: 'nextFundingTimeUs', type: 'long', nullable: true, doc: 'Next funding time (T), µs; null when 0.' },
], ['market', 'symbol', 'eventTimeUs']);

export const METRICS = defineKind('metrics', 'Futures metrics, 5-minute rows. eventTimeUs = create_time.', [
  nullableDouble('sumOpenInterest', 'Open interest (base asset; contracts on COIN-M).'),
  nullableDouble('sumOpenInterestValue', 'Open interest value (quote asset).'),
  nullableDouble('countTopTraderLongShortRatio', 'Top trader long/short ratio (accounts).'),
  nullableDouble('sumTopTraderLongShortRatio', 'Top trader long/short ratio (positions).'),
  nullableDouble('countLongShortRatio', 'Global long/short account ratio.'),
  nullableDouble('sumTakerLongShortVolRatio', 'Taker buy/sell volume ratio.'),
], ['market', 'symbol', 'eventTimeUs']);

export const LIQUIDATION = defineKind('liquidation', 'A liquidation (force) order. eventTimeUs = trade time.', [
  { name: 'side', type: 'string', doc: '`SELL` liquidates a long, `BUY` a short.' },
  { name: 'orderType', type: 'string', doc: 'Order type, e.g. LIMIT.' },
  { name: 'timeInForce', type: 'string', doc: 'Time in force, e.g. IOC.' },
  { name: 'price', type: 'double', doc: 'Order price.' },
  nullableDouble('avgPrice', 'Average fill price.'),
  { name: 'origQty', type: 'double', doc: 'Original quantity (contracts on COIN-M).' },
  nullableDouble('lastFilledQty', 'Last filled quantity.'),
  nullableDouble('filledAccumulatedQty', 'Accumulated filled quantity.'),
  { name: 'orderStatus', type: 'string', doc: 'Order status, e.g. FILLED.' },
], ['market', 'symbol', 'eventTimeUs', 'side', 'price', 'origQty']);

export const BVOL_INDEX = defineKind('bvolIndex', 'Options volatility index (BVOLIndex). eventTimeUs = calc_time.', [
  { name: 'baseAsset', type: 'string', doc: 'Index base, e.g. BTCBVOL.' },
  { name: 'quoteAsset', type: 'string', doc: 'Quote, e.g. USDT.' },
  { name: 'indexValue', type: 'double', doc: 'Index value (annualised volatility, %).' },
], ['market', 'symbol', 'eventTimeUs']);

export const EOH_SUMMARY = defineKind('eohSummary', 'Options end-of-hour summary. eventTimeUs = date + hour.', [
  { name: 'hour', type: 'int', doc: 'Hour of day, 0–23 (UTC).' },
  { name: 'underlying', type: 'string', doc: 'Underlying, e.g. BTCUSDT.' },
  { name: 'optionType', type: 'string', doc: 'C (call) or P (put) as reported.' },
  nullableDouble('strike', 'Strike price.'),
  nullableDouble('open', 'Open.'), nullableDouble('high', 'High.'), nullableDouble('low', 'Low.'), nullableDouble('close', 'Close.'),
  nullableDouble('volumeContracts', 'Volume in contracts.'), nullableDouble('volumeUsdt', 'Volume in USDT.'),
  nullableDouble('bestBidPrice', 'Best bid.'), nullableDouble('bestAskPrice', 'Best ask.'),
  nullableDouble('bestBidQty', 'Best bid quantity.'), nullableDouble('bestAskQty', 'Best ask quantity.'),
  nullableDouble('bestBuyIv', 'Best buy implied volatility.'), nullableDouble('bestSellIv', 'Best sell implied volatility.'),
  nullableDouble('markPrice', 'Mark price.'), nullableDouble('markIv', 'Mark implied volatility.'),
  nullableDouble('delta', 'Delta.'), nullableDouble('gamma', 'Gamma.'), nullableDouble('vega', 'Vega.'), nullableDouble('theta', 'Theta.'),
  nullableDouble('openInterestContracts', 'Open interest in contracts.'), nullableDouble('openInterestUsdt', 'Open interest in USDT.'),
], ['market', 'symbol', 'eventTimeUs']);

export const GAP = defineKind('gap', 'A hole in a stream and its fate. eventTimeUs = fromUs.', [
  { name: 'stream', type: 'string', doc: 'Stream key (schemas/identity.ts streamKeyOf), e.g. `binance.spot.trade.BTCUSDT`.' },
  { name: 'dataType', type: 'string', doc: 'Record kind the gap is in (`trade`, `kline`, …).' },
  { name: 'interval', type: 'string', nullable: true, doc: 'Kline interval, for kline gaps.' },
  { name: 'fromUs', type: 'long', doc: 'First missing instant (inclusive), µs.' },
  { name: 'toUs', type: 'long', doc: 'End of the hole (exclusive), µs.' },
  { name: 'fromId', type: 'long', nullable: true, doc: 'First missing id (trades/aggTrades/updates), inclusive.' },
  { name: 'toId', type: 'long', nullable: true, doc: 'Last missing id, inclusive.' },
  { name: 'cause', type: 'string', enum: GAP_CAUSES, doc: 'Why the hole exists.' },
  { name: 'state', type: 'string', enum: GAP_STATES, doc: 'Its fate: open, filled, partial, unfillable, reported.' },
  { name: 'filledCount', type: 'long', doc: 'Records that filled it (0 when none).' },
  { name: 'detail', type: 'string', nullable: true, doc: 'Free text: HTTP status, reconnect reason, …' },
], ['stream', 'fromUs', 'toUs']);

export const DEAD_LETTER = defineKind('deadLetter', 'Rejected input (the DLQ). eventTimeUs = time of rejection.', [
  { name: 'errorName', type: 'string', doc: 'Error class, e.g. DecodeError.' },
  { name: 'reason', type: 'string', doc: 'What was wrong.' },
  { name: 'raw', type: 'string', doc: 'The raw payload (CSV line, JSON frame), verbatim.' },
  { name: 'originFile', type: 'string', nullable: true, doc: 'Archive object key, when from an archive.' },
  { name: 'originLine', type: 'long', nullable: true, doc: '1-based line in the CSV, when from an archive.' },
], ['ingestId', 'eventTimeUs']);

export const INDICATOR = defineKind('indicator', 'A technical indicator at one closed bar (gold layer; source `derived`). eventTimeUs = openTimeUs of the bar.', [
  { name: 'priceKind', type: 'string', enum: PRICE_KINDS, doc: 'Price kind of the bars (`trade`, `mark`, `index`, `premium`).' },
  { name: 'interval', type: 'string', doc: 'Interval of the bars, API spelling.' },
  { name: 'openTimeUs', type: 'long', doc: 'Open time of the bar the value belongs to, µs.' },
  { name: 'indicator', type: 'string', enum: INDICATORS, doc: '`vwap`, `rsi` (Wilder), `macd` or `bb` (Bollinger Bands).' },
  { name: 'params', type: 'string', doc: 'Parameters, canonical: rsi `14`, macd `12:26:9` (fast:slow:signal), bb `20:2` (N:k), vwap `session` (per UTC day) or `20` (rolling N bars).' },
  { name: 'warmUp', type: 'boolean', doc: 'Too few bars yet for a value (vwap: no volume to divide by): the value fields are null, and the version has the lowest rank (a value row of the same bar always wins).' },
  nullableDouble('value', 'rsi: RSI 0–100; macd: MACD line (fast EMA − slow EMA of closes); bb: middle band (SMA of N closes); vwap: Σ typical price × volume / Σ volume.'),
  nullableDouble('signal', 'macd: signal line (EMA of the MACD line); null otherwise.'),
  nullableDouble('histogram', 'macd: MACD line − signal; null otherwise.'),
  nullableDouble('upper', 'bb: middle + k × σ (population σ of the N closes); null otherwise.'),
  nullableDouble('lower', 'bb: middle − k × σ; null otherwise.'),
  { name: 'barCount', type: 'long', doc: 'Bars the value was computed from, 1-based, this one included: since its seed — the start of the epoch before the bar\'s (rsi, macd, bb, rolling vwap; README, gold layer) or the UTC day (session vwap) — or since the stream\'s first bar when that is later.' },
], ['market', 'symbol', 'priceKind', 'interval', 'indicator', 'params', 'openTimeUs']);

export const QUALITY = defineKind('quality', 'Data quality of one stream on one UTC day (gold layer; source `derived`). eventTimeUs = start of the day.', [
  { name: 'stream', type: 'string', doc: 'Stream key (schemas/identity.ts streamKeyOf), e.g. `binance.spot.kline.trade.1m.BTCUSDT`.' },
  { name: 'dataType', type: 'string', doc: 'Record kind measured: `kline`, `trade` or `aggTrade`.' },
  { name: 'interval', type: 'string', nullable: true, doc: 'Kline interval, for klines.' },
  { name: 'day', type: 'string', doc: 'The UTC day, YYYY-MM-DD.' },
  { name: 'expected', type: 'long', doc: 'klines: windows in the day; trades / aggTrades: ids from the first to the last id seen that day.' },
  { name: 'covered', type: 'long', doc: 'Windows or ids of `expected` present.' },
  { name: 'completeness', type: 'double', doc: 'covered / expected, 0–1 (1 when nothing was expected).' },
  { name: 'gapCount', type: 'long', doc: 'Holes in the day.' },
  { name: 'missingByCause', type: 'string', doc: 'Missing windows or ids per gap cause, `cause=n` joined by `,` (empty when complete).' },
  { name: 'duplicates', type: 'long', doc: 'Stored copies of an identity key beyond the kept (highest-version) one.' },
  { name: 'deadLetters', type: 'long', doc: 'Dead letters of the symbol that day, late records excluded.' },
  { name: 'lateRecords', type: 'long', doc: 'Records that came too late for their bars (dead letters `LateRecord`).' },
], ['stream', 'eventTimeUs']);

/** Every record kind, by name. */
export const KINDS = {
  trade: TRADE, aggTrade: AGG_TRADE, kline: KLINE, bookTicker: BOOK_TICKER, depthUpdate: DEPTH_UPDATE,
  bookSnapshot: BOOK_SNAPSHOT, bookDepth: BOOK_DEPTH, fundingRate: FUNDING_RATE, markPrice: MARK_PRICE,
  metrics: METRICS, liquidation: LIQUIDATION, bvolIndex: BVOL_INDEX, eohSummary: EOH_SUMMARY, gap: GAP,
  deadLetter: DEAD_LETTER, indicator: INDICATOR, quality: QUALITY,
} as const;

export type KindName = keyof typeof KINDS;
export const KIND_NAMES = Object.keys(KINDS) as KindName[];

/** The plain record of one kind, with its `kind` discriminator. */
export type RecordOfKind<K extends KindName> = { kind: K } & RecordOf<(typeof KINDS)[K]['fields']>;

export type TradeRecord = RecordOfKind<'trade'>;
export type AggTradeRecord = RecordOfKind<'aggTrade'>;
export type KlineRecord = RecordOfKind<'kline'>;
export type BookTickerRecord = RecordOfKind<'bookTicker'>;
export type DepthUpdateRecord = RecordOfKind<'depthUpdate'>;
export type BookSnapshotRecord = RecordOfKind<'bookSnapshot'>;
export type BookDepthRecord = RecordOfKind<'bookDepth'>;
export type FundingRateRecord = RecordOfKind<'fundingRate'>;
export type MarkPriceRecord = RecordOfKind<'markPrice'>;
export type MetricsRecord = RecordOfKind<'metrics'>;
export type LiquidationRecord = RecordOfKind<'liquidation'>;
export type BvolIndexRecord = RecordOfKind<'bvolIndex'>;
export type EohSummaryRecord = RecordOfKind<'eohSummary'>;
export type GapRecord = RecordOfKind<'gap'>;
export type DeadLetterRecord = RecordOfKind<'deadLetter'>;
export type IndicatorRecord = RecordOfKind<'indicator'>;
export type QualityRecord = RecordOfKind<'quality'>;

/** Any record of any kind (a discriminated union on `kind`). */
export type AnyRecord = { [K in KindName]: RecordOfKind<K> }[KindName];

/** The spec of a kind. */
export function kindSpec<K extends KindName>(kind: K): (typeof KINDS)[K] {
  return KINDS[kind];
}
