import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planArchiveFiles, type ArchiveFile } from '../../connectors/binance-archive/plan.js';
import type { Market } from '../../schemas/ids.js';
import { fileSpanUs, seedOf } from './archive-mirror.js';
import { archiveRows, firstIdOf } from './archive-rows.js';

const EVENTS_PER_DAY = 40;

/** Per data row of a generated file: the row's ids (trades: id; aggTrades: agg id, first and last trade id). */
function idsOf(file: ArchiveFile, eventsPerDay = EVENTS_PER_DAY): number[][] {
  const rows = [...archiveRows({ ...file, ...fileSpanUs(file), eventsPerDay, seed: seedOf(file.key) })].join('').trim().split('\n');
  return rows.map((line) => {
    const cells = line.split(',').map(Number);
    return file.dataType === 'aggTrades' ? [cells[0], cells[3], cells[4]] : [cells[0]];
  });
}

function filesOf(market: Market, symbol: string, dataType: 'trades' | 'aggTrades' | 'bookTicker', fromDay: string, toDay: string, period: 'daily' | 'monthly' = 'daily'): ArchiveFile[] {
  return planArchiveFiles({ markets: [market], symbols: [symbol], types: [{ dataType, interval: null }], fromDay, toDay, period, nowUs: Date.UTC(2026, 10, 1) * 1000 });
}

/** Asserts every id column increases strictly from row to row over the files in order; returns the rows. */
function assertStrictlyIncreasing(files: readonly ArchiveFile[], eventsPerDay = EVENTS_PER_DAY): number[][] {
  const rows = files.flatMap((file) => idsOf(file, eventsPerDay).map((ids) => ({ ids, key: file.key })));
  for (let i = 1; i < rows.length; i++) {
    const [previous, next] = [rows[i - 1], rows[i]];
    for (let c = 0; c < next.ids.length; c++) {
      assert.ok(next.ids[c] > previous.ids[c], `column ${c}: ${previous.ids[c]} (${previous.key}) then ${next.ids[c]} (${next.key})`);
    }
  }
  return rows.map((r) => r.ids);
}

describe('generated archive ids', () => {
  it('increase strictly and contiguously across consecutive days for the symbols whose per-file seeds made them clash', () => {
    // Under per-file seeds (seedOf(key) % 1000) these day pairs started at the same id: the second day repeated the first.
    const spotTrades = filesOf('spot', 'ETHUSDT', 'trades', '2025-08-06', '2025-08-07');
    const umAggTrades = filesOf('um', 'BTCUSDT', 'aggTrades', '2025-12-06', '2025-12-07');
    for (const pair of [spotTrades, umAggTrades]) {
      assert.equal(seedOf(pair[0].key) % 1000, seedOf(pair[1].key) % 1000, 'the pair that clashed before');
      const [day1, day2] = pair.map((f) => idsOf(f).map((ids) => ids[0]));
      assert.equal(day2[0], day1.at(-1)! + 1, pair[1].key);
    }
    assertStrictlyIncreasing(spotTrades);
    assertStrictlyIncreasing(umAggTrades);
  });

  it('increase strictly across five days and a month boundary for 120 symbols, every market and event type', () => {
    const symbols = ['BTCUSDT', 'ETHUSDT', 'BNBUSDT', 'BTCUSD_PERP', ...Array.from({ length: 116 }, (_, i) => `S${i}USDT`)];
    for (const symbol of symbols) {
      for (const market of ['spot', 'um', 'cm'] as const) {
        for (const dataType of ['trades', 'aggTrades'] as const) assertStrictlyIncreasing(filesOf(market, symbol, dataType, '2025-07-29', '2025-08-02'));
      }
      assertStrictlyIncreasing(filesOf('um', symbol, 'bookTicker', '2024-03-29', '2024-04-02'));
    }
  });

  it('continue from monthly files into the next month and the next days, a monthly file holding its days\' ids', () => {
    const june = filesOf('um', 'ETHUSDT', 'aggTrades', '2025-06-01', '2025-06-30', 'monthly');
    const july = filesOf('um', 'ETHUSDT', 'aggTrades', '2025-07-01', '2025-07-31', 'monthly');
    const august = filesOf('um', 'ETHUSDT', 'aggTrades', '2025-08-01', '2025-08-02');
    assert.deepEqual([june.length, july.length, august.length], [1, 1, 2]);
    assertStrictlyIncreasing([...june, ...july, ...august]);
    const juneDays = filesOf('um', 'ETHUSDT', 'aggTrades', '2025-06-01', '2025-06-30');
    assert.deepEqual(idsOf(june[0]).map((ids) => ids[0]), juneDays.flatMap((f) => idsOf(f).map((ids) => ids[0])));
  });

  it('start a day\'s events apart, exactly below 2^53 even at 13 million events a day', () => {
    const files = filesOf('spot', 'BTCUSDT', 'trades', '2026-05-08', '2026-05-09');
    assert.ok(firstIdOf({ startUs: fileSpanUs(files[1]).startUs, eventsPerDay: 13_000_000 }, 1_000_000) * 4 < Number.MAX_SAFE_INTEGER);
    const firstIds = files.map((f) => firstIdOf({ startUs: fileSpanUs(f).startUs, eventsPerDay: 13_000_000 }, 1_000_000));
    assert.equal(firstIds[1] - firstIds[0], 13_000_000);
    assertStrictlyIncreasing(files, 3);
  });
});
