import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cachedPartitionPathOf, hiveValue, isPartOfUnit, lakeTypeOf, partNameOf, partitionPathOf, utcDateOfUs } from '../../../connectors/parquet/lake-path.js';
import { KIND_NAMES } from '../../../schemas/records.js';
import { sampleRecord } from '../../support/sample-records.js';

test('kline lake types name the price kind and interval', () => {
  const kline = sampleRecord('kline');
  assert.equal(lakeTypeOf({ ...kline, priceKind: 'trade', interval: '1m' }), 'klines_1m');
  assert.equal(lakeTypeOf({ ...kline, priceKind: 'mark', interval: '1m' }), 'markPriceKlines_1m');
  assert.equal(lakeTypeOf({ ...kline, priceKind: 'index', interval: '1h' }), 'indexPriceKlines_1h');
  assert.equal(lakeTypeOf({ ...kline, priceKind: 'premium', interval: '1M' }), 'premiumIndexKlines_1M');
});

test('every non-kline kind has the archive-style type name', () => {
  const expected: Record<string, string> = {
    trade: 'trades', aggTrade: 'aggTrades', bookTicker: 'bookTicker', depthUpdate: 'depthUpdate', bookSnapshot: 'bookSnapshot',
    bookDepth: 'bookDepth', fundingRate: 'fundingRate', markPrice: 'markPrice', metrics: 'metrics',
    liquidation: 'liquidationSnapshot', bvolIndex: 'BVOLIndex', eohSummary: 'EOHSummary', gap: 'gaps', deadLetter: 'deadLetters',
    indicator: 'indicators', quality: 'quality',
  };
  for (const kind of KIND_NAMES.filter((k) => k !== 'kline')) assert.equal(lakeTypeOf(sampleRecord(kind)), expected[kind], kind);
});

test('the date partition is the UTC day of eventTimeUs, including the last microsecond of a day', () => {
  assert.equal(utcDateOfUs(1_751_328_000_000_000), '2025-07-01');
  assert.equal(utcDateOfUs(1_751_328_000_000_000 - 1), '2025-06-30');
  assert.equal(utcDateOfUs(0), '1970-01-01');
});

test('a record lands in exchange/market/type/symbol/date Hive directories', () => {
  const trade = { ...sampleRecord('trade'), market: 'spot' as const, symbol: 'BTCUSDT', eventTimeUs: 1_752_537_600_000_000 };
  assert.equal(partitionPathOf(trade), 'exchange=binance/market=spot/type=trades/symbol=BTCUSDT/date=2025-07-15');
});

test('partition values cannot escape their directory or forge a partition key', () => {
  assert.equal(hiveValue('a/b'), 'a%2Fb');
  assert.equal(hiveValue('x=y'), 'x%3Dy');
  assert.equal(hiveValue('..'), '%2E%2E');
  assert.equal(hiveValue(''), '_');
  assert.equal(hiveValue('BTCUSD_PERP'), 'BTCUSD_PERP');
});

test('part names are deterministic per unit id, distinct across units and safe as file names', () => {
  const unit = 'data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2025-07-01.zip#0';
  assert.equal(partNameOf(unit), partNameOf(unit));
  assert.notEqual(partNameOf(unit), partNameOf(unit.replace('#0', '#1')));
  assert.match(partNameOf(unit), /^[A-Za-z0-9._-]+-[0-9a-f]{16}\.parquet$/);
  assert.ok(partNameOf(unit).includes('BTCUSDT-trades-2025-07-01.zip_0'));
  assert.match(partNameOf('../../etc/passwd'), /^etc_passwd-[0-9a-f]{16}\.parquet$/);
  assert.match(partNameOf(''), /^part-[0-9a-f]{16}\.parquet$/);
});

test('part names never start with "_" or "." (Hive-style readers skip such files), whatever the cut of the unit id', () => {
  const units: string[] = [];
  for (const key of [
    'data/futures/um/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2025-07-01.zip',
    'data/futures/um/daily/trades/ETHUSDT/ETHUSDT-trades-2025-07-01.zip',
    'data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-07-01.zip',
  ]) {
    for (const sha of ['0123456789abcdef', 'fedcba9876543210', 'a1b2c3d4e5f60718']) {
      for (const rest of ['0', '7', '12', '123', 'dlq0', 'dlq11', '3#invalid']) units.push(`${key}@${sha}#${rest}`);
    }
  }
  for (let i = 0; i < 70; i++) units.push(`${'x'.repeat(i)}/._.__${'y'.repeat(70 - i)}`);
  for (const unit of units) assert.match(partNameOf(unit), /^[^._]/, unit);
});

test('parts named by earlier versions (a cut tail starting with "." or "_") still belong to their unit', () => {
  const prefix = 'data/futures/um/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2025-07-01.zip@0123456789abcdef';
  for (const start of ['.', '_']) {
    // The rest of the unit id that puts `.zip…` or `_<sha>…` at the start of the 60-character tail.
    const rest = [...Array(60).keys()].map((n) => 'x'.repeat(n)).find((r) => `${prefix}#${r}`.replace(/[^A-Za-z0-9._-]+/g, '_').slice(-60).startsWith(start)) ?? '';
    const old = `${`${prefix}#${rest}`.replace(/[^A-Za-z0-9._-]+/g, '_').slice(-60)}-0011223344556677.parquet`;
    assert.ok(old.startsWith(start), old);
    assert.ok(isPartOfUnit(old, prefix), old);
    assert.ok(!isPartOfUnit(old, prefix.replace('0123456789abcdef', 'fedcba9876543210')), old);
  }
});

test('a part belongs to a unit prefix by its name, also when the 60-character readable tail cut the key', () => {
  const sha = '0123456789abcdef';
  for (const key of [
    'data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2025-07-01.zip',
    'data/futures/cm/daily/liquidationSnapshot/BTCUSD_PERP/BTCUSD_PERP-liquidationSnapshot-2024-01-01.zip',
  ]) {
    const prefix = `${key}@${sha}`;
    for (const rest of ['0', '17', 'dlq0', '3#invalid']) assert.ok(isPartOfUnit(partNameOf(`${prefix}#${rest}`), prefix), `${key} ${rest}`);
    assert.ok(!isPartOfUnit(partNameOf(`${key}@fedcba9876543210#0`), prefix), 'another content of the same key');
    assert.ok(!isPartOfUnit(partNameOf(`${key.replace('2024-01-01', '2024-01-02').replace('2025-07-01', '2025-07-02')}@${sha}#0`), prefix), 'another key');
    assert.ok(!isPartOfUnit(partNameOf(prefix).replace('.parquet', '.tmp'), prefix));
  }
  assert.ok(!isPartOfUnit('BTCUSDT-trades-2025-07-01.zip_0123456789abcdef_0-0011223344556677.parquet', 'data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2025-07-01.zip@0123456789abcdef'), 'a short name must hold the whole prefix');
});

test('the cached partition path equals the uncached one across day boundaries, symbols, markets and kinds', () => {
  const dayUs = 86_400_000_000;
  const midnightUs = 1_751_328_000_000_000;
  const times = [midnightUs - dayUs, midnightUs - 1, midnightUs, midnightUs + 1, midnightUs + dayUs - 1, midnightUs + dayUs, midnightUs - 1, 0, -1, 1.5, midnightUs - 0.5];
  const trade = sampleRecord('trade');
  const kline = sampleRecord('kline');
  const variants = [
    ...['BTCUSDT', 'ETHUSDT', 'a/b', '..', ''].map((symbol) => ({ ...trade, symbol })),
    { ...trade, market: 'um' as const }, { ...trade, exchange: 'other=x' as 'binance' },
    { ...kline, interval: '1m' as const }, { ...kline, interval: '1h' as const }, { ...kline, priceKind: 'mark' as const, interval: '1m' as const },
    ...(['gap', 'deadLetter', 'aggTrade'] as const).map((kind) => sampleRecord(kind)),
  ];
  const records = variants.flatMap((v, k) => times.map((eventTimeUs, j) => ({ ...v, eventTimeUs: eventTimeUs + ((k * 7 + j) % 3) })));
  // Interleave so the cache sees revisits, evictions (more than 16 distinct paths) and runs.
  const order = [...records, ...records.filter((_, i) => i % 3 === 0), ...records.slice().reverse(), ...records.map((r) => [r, r]).flat()];
  const cached = cachedPartitionPathOf();
  for (const record of order) assert.equal(cached(record), partitionPathOf(record), `${record.kind} ${record.symbol} ${record.eventTimeUs}`);
});

test('the cached partition path throws like the uncached one for a time Date cannot hold', () => {
  const cached = cachedPartitionPathOf();
  const trade = sampleRecord('trade');
  cached({ ...trade, eventTimeUs: 1_751_328_000_000_000 });
  for (const eventTimeUs of [Number.NaN, 9e21, Number.POSITIVE_INFINITY]) {
    assert.throws(() => partitionPathOf({ ...trade, eventTimeUs }), RangeError);
    assert.throws(() => cached({ ...trade, eventTimeUs }), RangeError);
  }
});
