import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import { queryLake } from '../../connectors/parquet/query-lake.js';
import { replayCommand, streamsOfFeed } from '../../pipelines/replay.js';
import { feedFromCapture } from '../../connectors/binance-replay/replay-feed.js';
import { parseTypeRequests, planArchiveFiles } from '../../connectors/binance-archive/plan.js';
import { writeArchiveFile } from '../support/archive-mirror.js';
import { realFixture, realFixtureText } from '../support/fixtures.js';

const dirs: string[] = [];
after(() => { for (const dir of dirs) rmSync(dir, { recursive: true, force: true }); });

describe('lakehouse replay', () => {
  it('finds the symbols and data types of a captured feed', () => {
    const feed = feedFromCapture('um', realFixtureText('BINANCE_FUTURES.ws.1.0'));
    const { symbols, types } = streamsOfFeed(feed);
    assert.deepEqual(symbols.sort(), ['AKROUSDT', 'CTKUSDT', 'KEEPUSDT', 'SUSHIUSDT']);
    assert.deepEqual(types.sort(), ['aggTrade', 'bookTicker', 'depth', 'kline_1m']);
  });

  it('replays a captured USD-M session into the lake as fast as possible, books synced from the captured snapshots', async () => {
    const lake = mkdtempSync(join(tmpdir(), 'lake-replay-'));
    dirs.push(lake);
    const stdout = new PassThrough();
    let text = '';
    stdout.on('data', (c) => { text += String(c); });
    const status = await replayCommand.run(
      ['--market', 'um', '--capture', realFixture('BINANCE_FUTURES.ws.1.0'), '--http', realFixture('BINANCE_FUTURES.http.0.0'), '--speed', 'max', '--lake', lake, '--batch-ms', '50'],
      { env: {}, stdout, stderr: new PassThrough(), signal: new AbortController().signal },
    );
    assert.equal(status, 0);
    assert.match(text, /stopped by source/);
    assert.match(text, /aggTrade 91/);
    assert.match(text, /bookTicker 613/);
    assert.match(text, /bookSnapshot 4/);
    const [row] = await queryLake({ root: lake, sql: 'SELECT count(*) AS n FROM aggTrades' });
    assert.deepEqual(row, { n: '91' });
    const gaps = await queryLake({ root: lake, sql: 'SELECT count(*) AS n FROM depthUpdate' });
    assert.ok(Number(gaps[0].n) > 700);
  });

  for (const via of ['live', 'archive']) {
    it(`replays a generated trades zip into the lake via ${via}, streamed: every trade id lands once`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'replay-files-'));
      dirs.push(dir);
      const [file] = planArchiveFiles({ markets: ['spot'], symbols: ['BTCUSDT'], types: parseTypeRequests(['trades']), fromDay: '2025-07-01', toDay: '2025-07-01', nowUs: Date.UTC(2026, 10, 1) * 1000 });
      const { path, rows } = await writeArchiveFile(dir, file, { eventsPerDay: 6_000 });
      const lake = join(dir, 'lake');
      const stdout = new PassThrough();
      let text = '';
      stdout.on('data', (c) => { text += String(c); });
      const status = await replayCommand.run(
        ['--market', 'spot', '--files', path, '--speed', 'max', '--lake', lake, '--sink', 'parquet', '--via', via, '--look-ahead', '1024', '--batch-ms', '50'],
        { env: {}, stdout, stderr: new PassThrough(), signal: new AbortController().signal },
      );
      assert.equal(status, 0);
      assert.match(text, new RegExp(`trade ${rows}`));
      if (via === 'archive') assert.match(text, /via archive/);
      const [row] = await queryLake({ root: lake, sql: 'SELECT count(*) AS n, count(DISTINCT tradeId) AS d, min(tradeId) AS lo, max(tradeId) AS hi FROM trades' });
      assert.equal(Number(row.n), rows);
      assert.equal(Number(row.d), rows);
      assert.equal(Number(row.hi) - Number(row.lo) + 1, rows);
    });
  }

  it('--via archive takes archive zips at full speed or an even rate only', async () => {
    const context = { env: {}, stdout: new PassThrough(), stderr: new PassThrough(), signal: new AbortController().signal };
    const zip = realFixture('BTCUSD_PERP-aggTrades-2026-05-08.zip');
    await assert.rejects(replayCommand.run(['--market', 'cm', '--files', zip, '--via', 'archive'], context), { name: 'ConfigError' });
    await assert.rejects(replayCommand.run(['--market', 'cm', '--files', zip, '--via', 'archive', '--speed', 'max', '--loop'], context), { name: 'ConfigError' });
  });

  it('reads its --via from LAKEHOUSE_REPLAY_VIA, not from the LAKEHOUSE_VIA of stream (raw|ccxt)', async () => {
    const context = (env: Record<string, string>): Parameters<typeof replayCommand.run>[1] => ({ env, stdout: new PassThrough(), stderr: new PassThrough(), signal: new AbortController().signal });
    const zip = realFixture('BTCUSD_PERP-aggTrades-2026-05-08.zip');
    await assert.rejects(replayCommand.run(['--serve'], context({ LAKEHOUSE_VIA: 'ccxt' })), /give --files/);
    await assert.rejects(replayCommand.run(['--market', 'cm', '--files', zip], context({ LAKEHOUSE_REPLAY_VIA: 'archive' })), /--via archive: --speed max or --rate/);
  });

  it('rejects a replay with nothing to play', async () => {
    await assert.rejects(replayCommand.run(['--serve'], { env: {}, stdout: new PassThrough(), stderr: new PassThrough(), signal: new AbortController().signal }), { name: 'ConfigError' });
  });
});
