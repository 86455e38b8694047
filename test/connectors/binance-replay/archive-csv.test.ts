import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeArchiveFile, eventOf, eventsFromArchiveCsv, feedFromArchiveFile, placedEventOf } from '../../../connectors/binance-replay/archive-csv.js';
import { realFixture, realFixtureText } from '../../support/fixtures.js';

describe('replay archive reader', () => {
  it('names the symbol, type and interval of archive files', () => {
    assert.deepEqual(describeArchiveFile('/x/BTCUSD_PERP-aggTrades-2026-05-08.zip'), { symbol: 'BTCUSD_PERP', type: 'aggTrades', interval: null });
    assert.deepEqual(describeArchiveFile('BTCUSDT-1mo-2025-01.zip'), { symbol: 'BTCUSDT', type: 'klines', interval: '1M' });
    assert.throws(() => describeArchiveFile('notes.txt'), /not an archive/);
  });

  it('plays every row of the real COIN-M aggTrades zip as an aggTrade event with the archive decimals verbatim', async () => {
    const feed = await feedFromArchiveFile(realFixture('BTCUSD_PERP-aggTrades-2026-05-08.zip'), 'cm');
    assert.equal(feed.events.length, 105_280);
    const first = feed.events[0];
    assert.equal(first.stream, 'btcusd_perp@aggTrade');
    assert.deepEqual(first.data, { e: 'aggTrade', E: 1778198400020, s: 'BTCUSD_PERP', a: 480537903, p: '79972.8', q: '542.0', f: 1123474160, l: 1123474164, T: 1778198400020, m: false });
    assert.deepEqual(first.restRow, { a: 480537903, p: '79972.8', q: '542.0', f: 1123474160, l: 1123474164, T: 1778198400020, m: false });
    const fromText = eventsFromArchiveCsv(realFixtureText('BTCUSD_PERP-aggTrades-2026-05-08.zip'), 'cm', describeArchiveFile('BTCUSD_PERP-aggTrades-2026-05-08.zip'));
    assert.deepEqual(feed.events.at(-1), fromText.at(-1));
  });

  it('plays kline files as closed candles at their close time, µs archives in ms like the live API', async () => {
    const ms = await feedFromArchiveFile(realFixture('BTCUSDT-1m-2020-01-01.zip'), 'spot');
    assert.equal(ms.events.length, 1440);
    const k = (ms.events[0].data as { k: Record<string, unknown> }).k;
    assert.deepEqual([k.t, k.T, k.i, k.x, k.o], [1577836800000, 1577836859999, '1m', true, '7195.24000000']);
    const us = await feedFromArchiveFile(realFixture('BTCUSDT-1h-2026-05-08.zip'), 'spot');
    assert.equal(us.events.length, 24);
    assert.equal((us.events[0].data as { k: { t: number } }).k.t, 1778198400000);
    assert.equal(us.events[0].timeMs, 1778201999999);
  });

  it('a streamed row (its line kept, the rest made when asked) has the time, JSON, payload and REST row of the row read whole', () => {
    const rows: [string, 'spot' | 'um' | 'cm', string][] = [
      ['BTCUSDT-trades-2025-07-01.zip', 'spot', '6082000000,49755.48296343,0.76062777,37845.40209137,1751328000288000,False,True'],
      ['BTCUSDT-trades-2024-07-01.zip', 'um', '5082000000,57000.1,0.003,171.0003,1719792000123,true'],
      ['BTCUSD_PERP-trades-2026-05-08.zip', 'cm', '1123474160,79972.8,542.0,0.67773,1778198400020,false'],
      ['BTCUSD_PERP-aggTrades-2026-05-08.zip', 'cm', '480537903,79972.8,542.0,1123474160,1123474164,1778198400020,false'],
      ['BTCUSDT-aggTrades-2025-07-01.zip', 'spot', '3000000,49755.48,0.5,12000000,12000003,1751328000288000,True,True'],
      ['BTCUSDT-1m-2020-01-01.zip', 'spot', '1577836800000,7195.24000000,7196.25000000,7183.14000000,7186.68000000,51.64281200,1577836859999,371033.71429023,493,19.59613500,140836.43327185,0'],
    ];
    for (const [name, market, line] of rows) {
      const file = describeArchiveFile(name);
      const whole = eventOf(line.split(','), file, market);
      const placed = placedEventOf(line, file, market, 3, 1234);
      assert.equal(placed.timeMs, whole.timeMs, name);
      assert.equal(placed.stream, whole.stream, name);
      assert.deepEqual([placed.origin, placed.offset], [3, 1234], name);
      assert.equal(placed.type, (whole.data as { e: string }).e, name);
      assert.deepEqual(placed.data, whole.data, name);
      assert.deepEqual(placed.restRow, whole.restRow, name);
      assert.deepEqual(JSON.parse(placed.raw as string), whole.data, name);
      assert.equal(placed.raw, JSON.stringify(whole.data), name); // the same keys in the same order, decimals verbatim
    }
  });

  it('a streamed row\'s JSON is the payload\'s, whatever the text of its ids, times and booleans (or its column count)', () => {
    const ids = ['0', '7', '0123', '123456789012345', '1234567890123456', '9007199254740993', '-5', '1e3'];
    const times = ['1751328000288', '1751328000288000', '7999999999999999', '8999999999999999', '9007199254740999', '0751328000288', '175132800028', '1751328000', '1751328000288.5'];
    const bools = ['True', 'true', 'False', 'false', 'TRUE', ' true', 'yes'];
    const files = [['BTCUSDT-trades-2025-07-01.zip', 'spot'], ['BTCUSDT-trades-2024-07-01.zip', 'um'], ['BTCUSDT-aggTrades-2025-07-01.zip', 'spot'], ['BTCUSD_PERP-aggTrades-2026-05-08.zip', 'cm']] as const;
    let checked = 0;
    for (const [name, market] of files) {
      const file = describeArchiveFile(name);
      for (let i = 0; i < 60; i++) {
        const [id, time, maker, best] = [ids[i % ids.length], times[i % times.length], bools[i % bools.length], bools[(i + 3) % bools.length]];
        const row = file.type === 'trades' ? [id, '49755.48', '0.5', '24877.74', time, maker, best] : [id, '49755.48', '0.5', id, id, time, maker, best];
        const columns = market === 'spot' ? row.length : row.length - 1;
        const line = row.slice(0, columns - (market === 'spot' && i % 5 === 4 ? 1 : 0)).concat(i % 7 === 6 ? ['extra'] : []).join(',');
        assert.equal(placedEventOf(line, file, market, 0, 0).raw, JSON.stringify(eventOf(line.split(','), file, market).data), `${name} ${line}`);
        checked++;
      }
    }
    assert.equal(checked, 240);
  });

  it('a streamed row without its time column is played at no time (NaN), not at another column\'s value', () => {
    const placed = placedEventOf('6082000000,49755.48', describeArchiveFile('BTCUSDT-trades-2025-07-01.zip'), 'spot', 0, 0);
    assert.ok(Number.isNaN(placed.timeMs));
  });
});
