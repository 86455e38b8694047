import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeArchiveFile, eventsFromArchiveCsv, feedFromArchiveFile } from '../../../connectors/binance-replay/archive-csv.js';
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
});
