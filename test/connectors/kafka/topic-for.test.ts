import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DLQ_TOPIC, GAPS_TOPIC, barsTopic, indicatorsTopic, kindOfTopic, prefixedTopicFor, topicFor } from '../../../connectors/kafka/topic-for.js';
import { ConfigError } from '../../../schemas/errors.js';
import { KIND_NAMES } from '../../../schemas/records.js';
import { sampleRecord } from '../../support/sample-records.js';

test('klines go to md.<exchange>.<market>.<priceKind type>.<interval>', () => {
  const kline = { ...sampleRecord('kline'), market: 'spot' as const, interval: '1m', source: 'archive' as const };
  assert.equal(topicFor({ ...kline, priceKind: 'trade' }), 'md.binance.spot.klines.1m');
  assert.equal(topicFor({ ...kline, market: 'um', priceKind: 'mark' }), 'md.binance.um.markPriceKlines.1m');
  assert.equal(topicFor({ ...kline, market: 'um', priceKind: 'index', interval: '1h' }), 'md.binance.um.indexPriceKlines.1h');
  assert.equal(topicFor({ ...kline, market: 'cm', priceKind: 'premium' }), 'md.binance.cm.premiumIndexKlines.1m');
});

test('bars resampled from trades go to the derived bars topic', () => {
  const bar = { ...sampleRecord('kline'), market: 'um' as const, priceKind: 'trade' as const, interval: '5m', source: 'resample' as const };
  assert.equal(topicFor(bar), 'md.binance.um.bars.5m');
  assert.equal(barsTopic('spot', '1h'), 'md.binance.spot.bars.1h');
});

test('indicator values go to md.<exchange>.<market>.indicators.<interval>, quality scores to …quality', () => {
  const value = { ...sampleRecord('indicator'), market: 'um' as const, interval: '1h' };
  assert.equal(topicFor(value), 'md.binance.um.indicators.1h');
  assert.equal(indicatorsTopic('spot', '1m'), 'md.binance.spot.indicators.1m');
  assert.equal(topicFor({ ...sampleRecord('quality'), market: 'spot' }), 'md.binance.spot.quality');
});

test('other kinds use archive type names; gaps and dead letters have their own topics', () => {
  const market = { market: 'spot' as const };
  assert.equal(topicFor({ ...sampleRecord('trade'), ...market }), 'md.binance.spot.trades');
  assert.equal(topicFor({ ...sampleRecord('aggTrade'), ...market }), 'md.binance.spot.aggTrades');
  assert.equal(topicFor({ ...sampleRecord('liquidation'), market: 'um' }), 'md.binance.um.liquidationSnapshot');
  assert.equal(topicFor(sampleRecord('gap')), GAPS_TOPIC);
  assert.equal(topicFor(sampleRecord('deadLetter')), DLQ_TOPIC);
  assert.equal(GAPS_TOPIC, 'md.gaps');
  assert.equal(DLQ_TOPIC, 'md.dlq');
});

test('the topic of every kind maps back to that kind, with or without a run prefix', () => {
  for (const kind of KIND_NAMES) {
    const topic = topicFor(sampleRecord(kind));
    assert.equal(kindOfTopic(topic), kind, topic);
    assert.equal(kindOfTopic(`run42.${topic}`), kind, topic);
  }
});

test('a foreign topic is a ConfigError naming it', () => {
  assert.throws(() => kindOfTopic('orders'), (e: Error) => e instanceof ConfigError && e.message.includes('"orders"'));
  assert.throws(() => kindOfTopic('md.binance.spot.nope'), ConfigError);
});

test('prefixedTopicFor puts topicFor under a prefix, and is topicFor itself without one', () => {
  const record = sampleRecord('trade');
  assert.equal(prefixedTopicFor('staging.')(record), `staging.${topicFor(record)}`);
  assert.equal(prefixedTopicFor(''), topicFor);
  assert.equal(prefixedTopicFor(undefined), topicFor);
});
