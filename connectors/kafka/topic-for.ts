/**
 * Kafka topic names, pure: `md.<exchange>.<market>.<type>` with archive-style type names, klines as
 * `md.binance.spot.klines.1m` (other price kinds `markPriceKlines.1m`, `indexPriceKlines.1m`,
 * `premiumIndexKlines.1m`), derived bars (klines with source `resample`) as `md.binance.<market>.bars.<interval>`,
 * indicators as `md.binance.<market>.indicators.<interval>`, quality scores as `md.binance.<market>.quality`, gaps on `md.gaps`, dead letters on `md.dlq`. {@link kindOfTopic} is the inverse, used by consumers.
 */
import { ConfigError } from '../../schemas/errors.js';
import type { Market } from '../../schemas/ids.js';
import type { AnyRecord, KindName } from '../../schemas/records.js';

/** Gap records' topic. */
export const GAPS_TOPIC = 'md.gaps';
/** Dead letters' topic. */
export const DLQ_TOPIC = 'md.dlq';

const KLINE_TYPES = { trade: 'klines', mark: 'markPriceKlines', index: 'indexPriceKlines', premium: 'premiumIndexKlines' } as const;

const TYPE_OF_KIND: Record<Exclude<KindName, 'kline' | 'gap' | 'deadLetter' | 'indicator'>, string> = {
  trade: 'trades', aggTrade: 'aggTrades', bookTicker: 'bookTicker', depthUpdate: 'depthUpdate', bookSnapshot: 'bookSnapshot',
  bookDepth: 'bookDepth', fundingRate: 'fundingRate', markPrice: 'markPrice', metrics: 'metrics',
  liquidation: 'liquidationSnapshot', bvolIndex: 'BVOLIndex', eohSummary: 'EOHSummary', quality: 'quality',
};

const KIND_OF_TYPE = new Map<string, KindName>([
  ...Object.entries(TYPE_OF_KIND).map(([kind, type]) => [type, kind as KindName] as const),
  ...Object.values(KLINE_TYPES).map((type) => [type, 'kline'] as const),
  ['bars', 'kline'],
  ['indicators', 'indicator'],
]);

/** The topic of derived bars of one market and interval. */
export function barsTopic(market: Market, interval: string, exchange = 'binance'): string {
  return `md.${exchange}.${market}.bars.${interval}`;
}

/** The topic of indicator values of one market and bar interval. */
export function indicatorsTopic(market: Market, interval: string, exchange = 'binance'): string {
  return `md.${exchange}.${market}.indicators.${interval}`;
}

/** The topic a record is produced to. */
export function topicFor(record: AnyRecord): string {
  if (record.kind === 'gap') return GAPS_TOPIC;
  if (record.kind === 'deadLetter') return DLQ_TOPIC;
  if (record.kind === 'kline') {
    if (record.source === 'resample' && record.priceKind === 'trade') return barsTopic(record.market, record.interval, record.exchange);
    return `md.${record.exchange}.${record.market}.${KLINE_TYPES[record.priceKind]}.${record.interval}`;
  }
  if (record.kind === 'indicator') return indicatorsTopic(record.market, record.interval, record.exchange);
  return `md.${record.exchange}.${record.market}.${TYPE_OF_KIND[record.kind]}`;
}

/** {@link topicFor} under a prefix (`--topic-prefix`, a test run's namespace); `topicFor` itself for none. */
export function prefixedTopicFor(prefix: string | undefined): (record: AnyRecord) => string {
  return prefix === undefined || prefix === '' ? topicFor : (record) => `${prefix}${topicFor(record)}`;
}

/**
 * The record kind carried by a topic of this naming scheme, ignoring any prefix before `md.` (so per-run test
 * topics like `it42.md.gaps` work); throws a `ConfigError` for foreign topics.
 */
export function kindOfTopic(topic: string): KindName {
  const name = topic.slice(Math.max(0, topic.indexOf('md.')));
  if (name === GAPS_TOPIC) return 'gap';
  if (name === DLQ_TOPIC) return 'deadLetter';
  const type = name.split('.')[3];
  const kind = type === undefined ? undefined : KIND_OF_TYPE.get(type);
  if (!name.startsWith('md.') || kind === undefined) throw new ConfigError(`not a market-data topic: ${JSON.stringify(topic)}`, { topic });
  return kind;
}
