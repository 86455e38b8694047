/** Closed sets shared by every layer, as `as const` arrays with derived types. */

/** Exchanges this engine speaks to. */
export const EXCHANGES = ['binance'] as const;
export type Exchange = (typeof EXCHANGES)[number];

/** Binance markets: spot, USD-M futures (`um`), COIN-M futures (`cm`), European options. */
export const MARKETS = ['spot', 'um', 'cm', 'option'] as const;
export type Market = (typeof MARKETS)[number];

/**
 * Where a record came from. `archive` (data.binance.vision), `rest` (REST repair), `ws` (live stream),
 * `resample` (derived by the resample operator), `fill` (synthetic, made by the flat gap-fill policy),
 * `derived` (gold-layer values computed from bars or ledgers: indicators, quality scores).
 */
export const SOURCES = ['archive', 'rest', 'ws', 'resample', 'fill', 'derived'] as const;
export type Source = (typeof SOURCES)[number];

/** The price a kline is built from: trades, the mark price, the index price, or the premium index. */
export const PRICE_KINDS = ['trade', 'mark', 'index', 'premium'] as const;
export type PriceKind = (typeof PRICE_KINDS)[number];

/** Why a gap exists. */
export const GAP_CAUSES = ['ws_disconnect', 'archive_missing', 'sequence_break', 'exchange_outage', 'unfillable'] as const;
export type GapCause = (typeof GAP_CAUSES)[number];

/** What became of a gap: still `open`, `filled` (fully), `partial`, `unfillable`, or only `reported` (policy none). */
export const GAP_STATES = ['open', 'filled', 'partial', 'unfillable', 'reported'] as const;
export type GapState = (typeof GAP_STATES)[number];

/** The technical indicators of the gold layer (operators/indicators.ts). */
export const INDICATORS = ['vwap', 'rsi', 'macd', 'bb'] as const;
export type IndicatorName = (typeof INDICATORS)[number];

/** Side of a liquidation order (`SELL` liquidates a long position). */
export const ORDER_SIDES = ['BUY', 'SELL'] as const;
export type OrderSide = (typeof ORDER_SIDES)[number];
