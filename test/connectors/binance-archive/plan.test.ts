import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../schemas/errors.js';
import { archiveKey, parseTypeRequests, planArchiveFiles, type ArchiveRequest } from '../../../connectors/binance-archive/plan.js';

const NOW = Date.UTC(2026, 10, 22) * 1000;
const request = (over: Partial<ArchiveRequest>): ArchiveRequest => ({
  markets: ['spot'], symbols: ['BTCUSDT'], types: parseTypeRequests(['klines:1m']), fromDay: '2025-07-01', toDay: '2025-07-03', nowUs: NOW, ...over,
});

describe('planArchiveFiles', () => {
  it('builds the real key layout for klines, 1mo and other types', () => {
    assert.equal(archiveKey('spot', 'daily', 'klines', 'BTCUSDT', '1m', '2020-01-01'), 'data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2020-01-01.zip');
    assert.equal(archiveKey('um', 'monthly', 'klines', 'BTCUSDT', '1M', '2024-01'), 'data/futures/um/monthly/klines/BTCUSDT/1mo/BTCUSDT-1mo-2024-01.zip');
    assert.equal(archiveKey('cm', 'daily', 'aggTrades', 'BTCUSD_PERP', null, '2026-05-08'), 'data/futures/cm/daily/aggTrades/BTCUSD_PERP/BTCUSD_PERP-aggTrades-2026-05-08.zip');
    assert.equal(archiveKey('option', 'daily', 'BVOLIndex', 'BTCBVOLUSDT', null, '2024-01-01'), 'data/option/daily/BVOLIndex/BTCBVOLUSDT/BTCBVOLUSDT-BVOLIndex-2024-01-01.zip');
  });

  it('uses daily files for a partial month', () => {
    const files = planArchiveFiles(request({}));
    assert.deepEqual(files.map((f) => f.date), ['2025-07-01', '2025-07-02', '2025-07-03']);
    assert.ok(files.every((f) => f.period === 'daily' && f.fallback.length === 0));
  });

  it('uses the monthly file for a whole past month, with its dailies as fallback', () => {
    const files = planArchiveFiles(request({ fromDay: '2025-06-30', toDay: '2025-08-01' }));
    assert.deepEqual(files.map((f) => `${f.period}:${f.date}`), ['daily:2025-06-30', 'monthly:2025-07', 'daily:2025-08-01']);
    const monthly = files[1];
    assert.equal(monthly?.fallback.length, 31);
    assert.equal(monthly?.fallback[0]?.key, 'data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-07-01.zip');
  });

  it('uses daily files for the current month even when the range covers it', () => {
    const files = planArchiveFiles(request({ fromDay: '2026-11-01', toDay: '2026-11-30' }));
    assert.ok(files.every((f) => f.period === 'daily'));
    assert.equal(files.length, 30);
  });

  it('plans monthly-only types as the monthly files of every touched month, filtered to the days', () => {
    const files = planArchiveFiles(request({ markets: ['um'], types: parseTypeRequests(['fundingRate']), fromDay: '2026-04-10', toDay: '2026-05-02' }));
    assert.deepEqual(files.map((f) => f.key), [
      'data/futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2026-04.zip',
      'data/futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2026-05.zip',
    ]);
    assert.equal(files[0]?.rangeStartUs, Date.UTC(2026, 3, 10) * 1000);
    assert.equal(files[1]?.rangeEndUs, Date.UTC(2026, 4, 3) * 1000);
  });

  it('plans 3d/1w/1mo klines as monthly files only', () => {
    const files = planArchiveFiles(request({ types: parseTypeRequests(['klines:1w']), fromDay: '2025-07-05', toDay: '2025-07-06' }));
    assert.deepEqual(files.map((f) => f.key), ['data/spot/monthly/klines/BTCUSDT/1w/BTCUSDT-1w-2025-07.zip']);
  });

  it('rejects impossible requests with a message that says what is possible', () => {
    const cases: [Partial<ArchiveRequest>, RegExp][] = [
      [{ markets: ['um'], types: parseTypeRequests(['klines:1s']) }, /1s klines exist for spot only/],
      [{ markets: ['um'], types: parseTypeRequests(['fundingRate']), period: 'daily' }, /fundingRate has no daily files/],
      [{ types: parseTypeRequests(['fundingRate']) }, /not published for market spot; it exists for um, cm/],
      [{ markets: ['um'], types: parseTypeRequests(['bookDepth']), period: 'monthly' }, /bookDepth has no monthly files/],
      [{ fromDay: '2025-07-03', toDay: '2025-07-01' }, /is after --to/],
      [{ fromDay: '2025-02-30' }, /--from must be a UTC day/],
      [{ symbols: ['btc usdt'] }, /not a Binance symbol/],
      [{ markets: ['spot'], types: parseTypeRequests(['EOHSummary']) }, /exists for option/],
    ];
    for (const [over, message] of cases) assert.throws(() => planArchiveFiles(request(over)), (e: unknown) => e instanceof ConfigError && message.test(e.message));
  });

  it('rejects unknown types and missing or superfluous intervals', () => {
    assert.throws(() => parseTypeRequests(['kline:1m']), /unknown archive data type/);
    assert.throws(() => parseTypeRequests(['klines']), /needs an interval/);
    assert.throws(() => parseTypeRequests(['trades:1m']), /has no interval/);
    assert.throws(() => parseTypeRequests(['klines:7m']), /unknown kline interval/);
    assert.deepEqual(parseTypeRequests(['markPriceKlines:1mo']), [{ dataType: 'markPriceKlines', interval: '1M' }]);
  });
});
