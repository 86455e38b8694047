import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { backfillCommand } from '../../pipelines/backfill.js';
import { queryLake } from '../../connectors/parquet/query-lake.js';
import { realFixture } from '../support/fixtures.js';
import { runBackfillJson, removeTempDirs, tempDir } from './backfill-support.js';

after(removeTempDirs);

/** The real archive files of test/fixtures/real, at their data.binance.vision keys. */
const REAL: Record<string, string> = {
  'BTCUSDT-1m-2020-01-01.zip': 'data/spot/daily/klines/BTCUSDT/1m/',
  'BTCUSDT-1m-2020-01-02.zip': 'data/spot/daily/klines/BTCUSDT/1m/',
  'BTCUSDT-1h-2026-05-08.zip': 'data/spot/daily/klines/BTCUSDT/1h/',
  'BTCUSDT-1h-2026-05-09.zip': 'data/spot/daily/klines/BTCUSDT/1h/',
  'BTCUSDT-fundingRate-2026-04.zip': 'data/futures/um/monthly/fundingRate/BTCUSDT/',
  'BTCUSD_PERP-aggTrades-2026-05-08.zip': 'data/futures/cm/daily/aggTrades/BTCUSD_PERP/',
};

describe('lakehouse backfill of the real archive files', () => {
  let archive = '';
  before(async () => {
    archive = await tempDir('real-archive');
    for (const [name, folder] of Object.entries(REAL)) {
      for (const file of [name, `${name}.CHECKSUM`]) {
        await mkdir(dirname(join(archive, folder, file)), { recursive: true });
        await copyFile(realFixture(file), join(archive, folder, file));
      }
    }
  });
  after(async () => { await rm(archive, { recursive: true, force: true }); });

  it('verifies the real checksums and loads every row of spot ms/µs klines, um fundingRate and cm aggTrades', async () => {
    const lake = await tempDir('real-lake');
    const runs = [
      ['--market', 'spot', '--types', 'klines:1m', '--symbols', 'BTCUSDT', '--from', '2020-01-01', '--to', '2020-01-02'],
      ['--market', 'spot', '--types', 'klines:1h', '--symbols', 'BTCUSDT', '--from', '2026-05-08', '--to', '2026-05-09'],
      ['--market', 'um', '--types', 'fundingRate', '--symbols', 'BTCUSDT', '--from', '2026-04-01', '--to', '2026-04-30'],
      ['--market', 'cm', '--types', 'aggTrades', '--symbols', 'BTCUSD_PERP', '--from', '2026-05-08'],
    ];
    const rows: number[] = [];
    for (const args of runs) {
      const run = await runBackfillJson(backfillCommand, [...args, '--archive', archive, '--lake', lake]);
      assert.equal(run.exitCode, 0, run.stdout);
      rows.push(run.report.rows);
    }
    assert.deepEqual(rows, [2880, 48, 90, 105280]);
    const [check] = await queryLake({ root: lake, sql: `SELECT min(openTimeUs) AS first, max(closeTimeUs) AS last, count(*) AS n FROM klines_1h` });
    assert.equal(String(check?.first), '1778198400000000');
    assert.equal(String(check?.last), String(1778198400000000 + 48 * 3_600_000_000 - 1));
    const [cm] = await queryLake({ root: lake, sql: `SELECT sum(contracts) AS contracts, count(qty) AS withQty FROM aggTrades WHERE market = 'cm'` });
    assert.equal(String(cm?.withQty), '0');
    assert.ok(Number(cm?.contracts) > 0);
  });
});
