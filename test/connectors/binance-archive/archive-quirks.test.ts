/**
 * The archive quirks of docs/BINANCE.md §1–§3 and Appendix A/D, each through the public entry point
 * parseArchiveFile: real zips where a fixture exists, otherwise the exact rows that document quotes.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Market } from '../../../schemas/ids.js';
import { identityKeyOf } from '../../../schemas/identity.js';
import type {
  AggTradeRecord, AnyRecord, BookDepthRecord, BookTickerRecord, BvolIndexRecord, EohSummaryRecord,
  FundingRateRecord, KlineRecord, LiquidationRecord, MetricsRecord, TradeRecord,
} from '../../../schemas/records.js';
import { formatUtcDay } from '../../../schemas/time.js';
import { planArchiveFiles, parseTypeRequests, type ArchiveFile } from '../../../connectors/binance-archive/plan.js';
import { realFixture, realFixtureText } from '../../support/fixtures.js';
import { fileSpanUs, seedOf } from '../../support/archive-mirror.js';
import { archiveRows, headerOf } from '../../support/archive-rows.js';
import { writeZip } from '../../support/archive-zip.js';
import { parseAll, type ParsedArchive } from '../../support/parse-all.js';
import { removeTempDirs, tempDir } from '../../pipelines/backfill-support.js';

after(removeTempDirs);

const NOW_US = Date.UTC(2026, 10, 1) * 1000;

/** The first planned file of a type for the days `day`..`toDay` (a monthly file keeps only those days' rows). */
function fileOf(market: Market, symbol: string, type: string, day: string, period: 'daily' | 'monthly' = 'daily', toDay = day): ArchiveFile {
  const [file] = planArchiveFiles({ markets: [market], symbols: [symbol], types: parseTypeRequests([type]), fromDay: day, toDay, period, nowUs: NOW_US });
  assert.ok(file !== undefined);
  return file;
}

type Parsed = ParsedArchive;

const parsePath = (path: string, file: ArchiveFile): Promise<Parsed> => parseAll(path, file, 7);

/** Zips `body` as the file's CSV member (named like the zip) and parses it. */
async function parseBody(file: ArchiveFile, body: string | Buffer): Promise<Parsed> {
  const path = join(await tempDir('archive-quirks'), file.key);
  await writeZip(path, [{ name: file.key.slice(file.key.lastIndexOf('/') + 1).replace(/\.zip$/, '.csv'), content: [body] }]);
  return parsePath(path, file);
}

const quoted = (marker: string): string[] => {
  const text = realFixtureText('github-issue-quoted-archive-rows.txt');
  const block = text.slice(text.indexOf(marker)).split('\n### https')[0] ?? '';
  return block.split('\n').slice(1).filter((l) => l !== '' && !l.startsWith('###'));
};

describe('real archive zips through parseArchiveFile (Appendix A and D)', () => {
  it('reads the headerless spot ms klines of 2020: 1440 rows, each closing one ms before the next opens', async () => {
    const file = fileOf('spot', 'BTCUSDT', 'klines:1m', '2020-01-01');
    const { records, dead, stats } = await parsePath(realFixture('BTCUSDT-1m-2020-01-01.zip'), file);
    const klines = records as KlineRecord[];
    assert.deepEqual([stats.header, stats.rows, dead.length], [false, 1440, 0]);
    assert.equal(klines[0]?.openTimeUs, 1577836800000000);
    for (let i = 1; i < klines.length; i++) assert.equal(klines[i - 1]!.closeTimeUs + 1000, klines[i]!.openTimeUs);
  });

  it('reads the headerless spot µs klines of 2026: 24 rows, close = open + 3 599 999 999 µs, one µs before the next open', async () => {
    const file = fileOf('spot', 'BTCUSDT', 'klines:1h', '2026-05-08');
    const { records, stats } = await parsePath(realFixture('BTCUSDT-1h-2026-05-08.zip'), file);
    const klines = records as KlineRecord[];
    assert.deepEqual([stats.header, stats.rows], [false, 24]);
    assert.equal(klines[0]?.openTimeUs, 1778198400000000);
    assert.ok(klines.every((k) => k.closeTimeUs === k.openTimeUs + 3_599_999_999 && formatUtcDay(k.openTimeUs) === '2026-05-08'));
    for (let i = 1; i < klines.length; i++) assert.equal(klines[i - 1]!.closeTimeUs + 1, klines[i]!.openTimeUs);
  });

  it('reads the monthly um fundingRate of 2026-04 with its header in ms: 90 rows, jittered calc_time floored to the 8 h mark', async () => {
    const file = fileOf('um', 'BTCUSDT', 'fundingRate', '2026-04-01', 'monthly', '2026-04-30');
    const { records, stats } = await parsePath(realFixture('BTCUSDT-fundingRate-2026-04.zip'), file);
    const funding = records as FundingRateRecord[];
    assert.deepEqual([stats.header, stats.rows, stats.outOfRange], [true, 90, 0]);
    assert.equal(funding[0]?.calcTimeUs, 1775001600000000);
    assert.ok(funding.every((f) => f.fundingTimeUs % (8 * 3_600_000_000) === 0 && f.fundingIntervalHours === 8));
    const jitterMs = funding.map((f) => ((f.calcTimeUs ?? 0) - f.fundingTimeUs) / 1000);
    assert.ok(jitterMs.every((j) => j >= 0 && j <= 13) && jitterMs.some((j) => j > 0));
    assert.ok(funding.some((f) => f.fundingRate < 0));
  });

  it('reads the cm aggTrades of 2026-05-08 with its header: ms times, lowercase booleans, contracts, contiguous ids', async () => {
    const file = fileOf('cm', 'BTCUSD_PERP', 'aggTrades', '2026-05-08');
    const { records, dead, stats } = await parsePath(realFixture('BTCUSD_PERP-aggTrades-2026-05-08.zip'), file);
    const aggs = records as AggTradeRecord[];
    assert.deepEqual([stats.header, stats.rows, dead.length], [true, 105_280, 0]);
    assert.deepEqual([aggs[0]?.aggTradeId, aggs[0]?.contracts, aggs[0]?.qty, aggs[0]?.eventTimeUs], [480537903, 542, null, 1778198400020000]);
    assert.equal(aggs.filter((a) => a.isBuyerMaker).length, 51_256);
    assert.ok(aggs.every((a, i) => i === 0 || a.aggTradeId === aggs[i - 1]!.aggTradeId + 1));
    assert.ok(aggs.every((a) => formatUtcDay(a.eventTimeUs) === '2026-05-08' && a.isBestMatch === null));
  });

  it('reads the um klines excerpt of 2026-02 (header, ms, unpadded numbers) once zipped: 1440 rows of 2026-02-01', async () => {
    const file = fileOf('um', 'ALGOUSDT', 'klines:1m', '2026-02-01');
    const { records, stats } = await parseBody(file, realFixtureText('ALGOUSDT-1m-2026-02.first1440rows.csv'));
    const klines = records as KlineRecord[];
    assert.deepEqual([stats.header, stats.rows], [true, 1440]);
    assert.deepEqual([klines[0]?.openTimeUs, klines[0]?.open, klines[0]?.volume, klines[0]?.quoteVolume], [1769904000000000, 0.1038, 242160.4, 25142.90126]);
    assert.ok(klines.every((k) => formatUtcDay(k.openTimeUs) === '2026-02-01'));
  });
});

/** The types × markets the archive publishes, with a day inside each type's published range. */
const MATRIX: [Market, string, string, string, ('daily' | 'monthly')?][] = [
  ['spot', 'BTCUSDT', 'klines:1m', '2024-12-31'], ['spot', 'BTCUSDT', 'klines:1m', '2025-01-01'],
  ['spot', 'BTCUSDT', 'trades', '2024-12-31'], ['spot', 'BTCUSDT', 'trades', '2025-01-01'],
  ['spot', 'BTCUSDT', 'aggTrades', '2024-12-31'], ['spot', 'BTCUSDT', 'aggTrades', '2025-01-01'],
  ['um', 'BTCUSDT', 'klines:1m', '2026-02-01'], ['um', 'BTCUSDT', 'markPriceKlines:1m', '2026-02-01'],
  ['um', 'BTCUSDT', 'indexPriceKlines:1h', '2026-02-01'], ['um', 'BTCUSDT', 'premiumIndexKlines:1m', '2026-02-01'],
  ['um', 'BTCUSDT', 'trades', '2026-02-01'], ['um', 'BTCUSDT', 'aggTrades', '2026-02-01'],
  ['um', 'BTCUSDT', 'fundingRate', '2026-04-01', 'monthly'], ['um', 'BTCUSDT', 'bookTicker', '2024-03-01'],
  ['um', 'BTCUSDT', 'bookDepth', '2025-05-19'], ['um', 'BTCUSDT', 'metrics', '2025-05-19'],
  ['cm', 'BTCUSD_PERP', 'klines:1h', '2026-05-08'], ['cm', 'BTCUSD_PERP', 'trades', '2026-05-08'],
  ['cm', 'BTCUSD_PERP', 'aggTrades', '2026-05-08'], ['cm', 'BTCUSD_PERP', 'liquidationSnapshot', '2024-01-01'],
  ['cm', 'BTCUSD_PERP', 'fundingRate', '2026-04-01', 'monthly'], ['cm', 'BTCUSD_PERP', 'bookDepth', '2024-01-01'],
  ['cm', 'BTCUSD_PERP', 'metrics', '2024-01-01'], ['cm', 'BTCUSD_PERP', 'bookTicker', '2024-01-01'],
  ['option', 'BTCBVOLUSDT', 'BVOLIndex', '2026-04-01'], ['option', 'BTCUSDT', 'EOHSummary', '2024-01-01'],
];

describe('archive keys of every symbol form (§1.1)', () => {
  it('plans um delivery, settled, cm perpetual/delivery and bare-pair index kline folders under their own names', () => {
    const key = (market: Market, symbol: string, type: string): string => fileOf(market, symbol, type, '2025-06-02').key;
    assert.equal(key('um', 'BTCUSDT_260925', 'aggTrades'), 'data/futures/um/daily/aggTrades/BTCUSDT_260925/BTCUSDT_260925-aggTrades-2025-06-02.zip');
    assert.equal(key('um', 'ICPUSDTSETTLED', 'klines:1m'), 'data/futures/um/daily/klines/ICPUSDTSETTLED/1m/ICPUSDTSETTLED-1m-2025-06-02.zip');
    assert.equal(key('cm', 'BTCUSD_250627', 'trades'), 'data/futures/cm/daily/trades/BTCUSD_250627/BTCUSD_250627-trades-2025-06-02.zip');
    assert.equal(key('cm', 'BTCUSD', 'indexPriceKlines:1h'), 'data/futures/cm/daily/indexPriceKlines/BTCUSD/1h/BTCUSD-1h-2025-06-02.zip');
    assert.equal(key('cm', 'BTCUSD_PERP', 'premiumIndexKlines:1h'), 'data/futures/cm/daily/premiumIndexKlines/BTCUSD_PERP/1h/BTCUSD_PERP-1h-2025-06-02.zip');
    assert.equal(key('option', 'ETHBVOLUSDT', 'BVOLIndex'), 'data/option/daily/BVOLIndex/ETHBVOLUSDT/ETHBVOLUSDT-BVOLIndex-2025-06-02.zip');
    assert.equal(key('option', 'BTCUSDT', 'EOHSummary'), 'data/option/daily/EOHSummary/BTCUSDT/BTCUSDT-EOHSummary-2025-06-02.zip');
  });
});

describe('header and line-ending variants of every data type (§3.1)', () => {
  it('reads each type the same with a header, without one, with CRLF endings, blank trailing lines and no final newline', async () => {
    for (const [market, symbol, type, day, period] of MATRIX) {
      const file = fileOf(market, symbol, type, day, period);
      const lines = [...archiveRows({ ...file, ...fileSpanUs(file), eventsPerDay: 40, maxRows: 40, seed: seedOf(file.key) })].join('').trim().split('\n');
      const header = headerOf(file) ?? 'a_header_named,like,the,futures,files';
      const variants = {
        'header + LF': `${header}\n${lines.join('\n')}\n`,
        'no header + LF': `${lines.join('\n')}\n`,
        'header + CRLF + blank trailing lines': `${header}\r\n${lines.join('\r\n')}\r\n\r\n\n`,
        'no header + CRLF, no final newline': lines.join('\r\n'),
      };
      let expected: AnyRecord[] | null = null;
      for (const [name, body] of Object.entries(variants)) {
        const { records, dead, stats } = await parseBody(file, body);
        const label = `${file.key} (${name})`;
        assert.deepEqual(dead.map((d) => d.reason), [], label);
        assert.equal(stats.header, name.startsWith('header'), label);
        assert.ok(records.length > 0 && records.length === stats.rows && records.every((r) => r.kind === file.kind), label);
        if (expected === null) expected = records; else assert.deepEqual(records, expected, label);
      }
    }
  });
});

describe('a byte order mark before line 1', () => {
  it('is skipped: a headerless spot file keeps its first row and a futures header is still sniffed', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const rows = quoted('issues/386');
    const spot = await parseBody(fileOf('spot', 'DOGEUSDT', 'klines:1s', '2025-01-01'), Buffer.concat([bom, Buffer.from(`${rows.join('\n')}\n`)]));
    assert.deepEqual([spot.stats.header, spot.stats.rows, spot.dead.length, (spot.records[0] as KlineRecord | undefined)?.openTimeUs], [false, 3, 0, 1735689600000000]);
    const cm = await parseBody(fileOf('cm', 'BTCUSD_PERP', 'klines:1h', '2023-10-27'), Buffer.concat([bom, Buffer.from(`${quoted('BTCUSD_PERP-1h-2023-10-27').join('\r\n')}\r\n`)]));
    assert.deepEqual([cm.stats.header, cm.stats.rows, cm.dead.length], [true, 3, 0]);
  });
});

describe('timestamp units per market and date (§3.2)', () => {
  it('reads spot trades, aggTrades and klines in ms up to 2024-12-31 and in µs from 2025-01-01 onto one µs scale', async () => {
    for (const type of ['klines:1m', 'trades', 'aggTrades']) {
      const days = ['2024-12-31', '2025-01-01'].map((day) => fileOf('spot', 'BTCUSDT', type, day));
      const raw = days.map((file) => [...archiveRows({ ...file, ...fileSpanUs(file), eventsPerDay: 40, seed: seedOf(file.key) })].join(''));
      const timeCell = type === 'trades' ? 4 : type === 'aggTrades' ? 5 : 0;
      assert.deepEqual(raw.map((csv) => csv.split(',')[timeCell]?.length), [13, 16], `${type}: ms then µs in the files`);
      for (const [i, file] of days.entries()) {
        const { records } = await parseBody(file, raw[i]!);
        assert.ok(records.every((r) => formatUtcDay(r.eventTimeUs) === file.date), `${file.key} stays on its day`);
        if (type === 'klines:1m') assert.ok((records as KlineRecord[]).every((k) => k.closeTimeUs - k.openTimeUs === 59_999_000 || k.closeTimeUs - k.openTimeUs === 59_999_999));
      }
    }
  });

  it('maps the README µs examples of 2025 spot trades and aggTrades (no header, True/False)', async () => {
    const trades = await parseBody(fileOf('spot', 'BTCUSDT', 'trades', '2025-01-01'), '51175358,17.80180000,5.69000000,101.29224200,1735689600010866,True,True\n');
    const [trade] = trades.records as TradeRecord[];
    assert.deepEqual([trades.stats.header, trade?.tradeId, trade?.eventTimeUs, trade?.qty, trade?.quoteQty, trade?.isBuyerMaker, trade?.isBestMatch],
      [false, 51175358, 1735689600010866, 5.69, 101.292242, true, true]);
    const aggs = await parseBody(fileOf('spot', 'BTCUSDT', 'aggTrades', '2025-01-01'), '0,0.20000000,50.00000000,0,0,1735689600010866,False,True\n');
    const [agg] = aggs.records as AggTradeRecord[];
    assert.deepEqual([aggs.stats.header, agg?.aggTradeId, agg?.price, agg?.qty, agg?.eventTimeUs, agg?.isBuyerMaker, agg?.isBestMatch],
      [false, 0, 0.2, 50, 1735689600010866, false, true]);
  });

  it('maps the quoted 1s µs klines of DOGEUSDT 2025-01-01 and the ms spot and cm klines of 2023-10-27', async () => {
    const doge = await parseBody(fileOf('spot', 'DOGEUSDT', 'klines:1s', '2025-01-01'), `${quoted('issues/386').join('\n')}\n`);
    assert.deepEqual((doge.records as KlineRecord[]).map((k) => [k.openTimeUs, k.closeTimeUs, k.tradeCount]),
      [[1735689600000000, 1735689600999999, 1], [1735689601000000, 1735689601999999, 5], [1735689602000000, 1735689602999999, 0]]);
    const spot = await parseBody(fileOf('spot', 'BTCUSDT', 'klines:1h', '2023-10-27'), `${quoted('BTCUSDT-1h-2023-10-27').join('\n')}\n`);
    assert.deepEqual([spot.stats.header, spot.stats.rows, (spot.records[0] as KlineRecord).closeTimeUs], [false, 3, 1698368399999000]);
    const cm = await parseBody(fileOf('cm', 'BTCUSD_PERP', 'klines:1h', '2023-10-27'), `${quoted('BTCUSD_PERP-1h-2023-10-27').join('\n')}\n`);
    const [first] = cm.records as KlineRecord[];
    assert.deepEqual([cm.stats.header, cm.stats.rows], [true, 3]);
    assert.deepEqual([first?.contracts, first?.baseVolume, first?.takerBuyContracts, first?.takerBuyBaseVolume, first?.volume, first?.quoteVolume],
      [409953, 1202.97118037, 192220, 564.12041453, null, null]);
  });

  it('reads the text timestamps of bookDepth (all ten bands of one snapshot) and metrics as UTC seconds', async () => {
    const depth = await parseBody(fileOf('um', 'BTCUSDT', 'bookDepth', '2025-05-19'), `${quoted('BTCUSDT-bookDepth-2025-05-19').join('\n')}\n`);
    const bands = depth.records as BookDepthRecord[];
    assert.deepEqual([depth.stats.header, depth.stats.rows, depth.dead.length], [true, 10, 0]);
    assert.ok(bands.every((b) => b.eventTimeUs === Date.UTC(2025, 4, 19, 11, 7, 31) * 1000));
    assert.deepEqual(bands.map((b) => b.percentage), [-5, -4, -3, -2, -1, 1, 2, 3, 4, 5]);
    assert.equal(new Set(bands.map(identityKeyOf)).size, 10, 'the bands of one snapshot are distinct records');
    const metrics = await parseBody(fileOf('um', 'BTCUSDT', 'metrics', '2023-01-21'), [
      'create_time,symbol,sum_open_interest,sum_open_interest_value,count_toptrader_long_short_ratio,sum_toptrader_long_short_ratio,count_long_short_ratio,sum_taker_long_short_vol_ratio',
      '2023-01-21 00:10:00,BTCUSDT,98666.16300000,2236289208.19726700,0.766568632422291,1.1363333457,0.8332767017782309,0.9253075900',
      '2023-01-21 00:05:00,BTCUSDT,98600.00000000,2236000000.00000000,,,,',
    ].join('\n'));
    const [late, early] = metrics.records as MetricsRecord[];
    assert.deepEqual([late?.eventTimeUs, early?.eventTimeUs], [Date.UTC(2023, 0, 21, 0, 10) * 1000, Date.UTC(2023, 0, 21, 0, 5) * 1000], 'unsorted rows are all kept');
    assert.deepEqual([late?.sumOpenInterest, late?.countTopTraderLongShortRatio, late?.sumTakerLongShortVolRatio], [98666.163, 0.766568632422291, 0.92530759]);
    assert.deepEqual([early?.countTopTraderLongShortRatio, early?.sumTakerLongShortVolRatio], [null, null]);
  });

  it('keeps um trades in ms in 2026, with the header and without it (files up to 2022-08-10 have none)', async () => {
    const row = '6010563127,96500.10,0.003,289.50030,1769904000123,true';
    for (const body of [`id,price,qty,quote_qty,time,is_buyer_maker\n${row}\n`, `${row}\n`]) {
      const { records, stats } = await parseBody(fileOf('um', 'BTCUSDT', 'trades', '2026-02-01'), body);
      const [trade] = records as TradeRecord[];
      assert.equal(stats.header, body.startsWith('id'));
      assert.deepEqual([trade?.eventTimeUs, trade?.qty, trade?.quoteQty, trade?.contracts, trade?.isBuyerMaker, trade?.isBestMatch],
        [1769904000123000, 0.003, 289.5003, null, true, null]);
    }
  });
});

describe('type-specific rows (§3.3)', () => {
  it('reads mark/index/premium klines for OHLC and the sample count only, and ignores a nonzero ignore column', async () => {
    const mark = await parseBody(fileOf('um', 'BTCUSDT', 'markPriceKlines:1m', '2020-06-04'),
      '1591256400000,9653.69440000,9653.69640000,9651.38600000,9651.55200000,0,1591256459999,0,60,0,0,0\n');
    const [k] = mark.records as KlineRecord[];
    assert.deepEqual([k?.priceKind, k?.open, k?.close, k?.tradeCount, k?.volume, k?.quoteVolume, k?.takerBuyVolume, k?.contracts],
      ['mark', 9653.6944, 9651.552, 60, null, null, null, null]);
    const premium = await parseBody(fileOf('um', 'BTCUSDT', 'premiumIndexKlines:1m', '2026-02-01'), '1769904000000,-0.00031200,-0.00030100,-0.00032000,-0.00030500,0,1769904059999,0,12,0,0,0\n');
    assert.deepEqual((premium.records as KlineRecord[]).map((r) => [r.priceKind, r.open, r.low]), [['premium', -0.000312, -0.00032]]);
    const traded = await parseBody(fileOf('um', 'BTCUSDT', 'klines:1m', '2020-06-04'),
      '1591256400000,9640.7,9642.4,9640.6,9642.0,206,1591256459999,1986111.15,159,177,1706149.63,17928899.62484339\n');
    assert.deepEqual([traded.dead.length, (traded.records[0] as KlineRecord | undefined)?.volume], [0, 206]);
  });

  it('reads a 4-hourly funding interval and a bookTicker row (discontinued 2024) with both times', async () => {
    const funding = await parseBody(fileOf('um', 'TIAUSDT', 'fundingRate', '2026-04-01', 'monthly'), 'calc_time,funding_interval_hours,last_funding_rate\n1775001600003,4,0.00010000\n1775016000001,4,-0.00002500\n');
    assert.deepEqual((funding.records as FundingRateRecord[]).map((f) => [f.fundingTimeUs, f.calcTimeUs, f.fundingIntervalHours, f.fundingRate]), [
      [1775001600000000, 1775001600003000, 4, 0.0001], [1775016000000000, 1775016000001000, 4, -0.000025],
    ]);
    const ticker = await parseBody(fileOf('um', 'BALUSDT', 'bookTicker', '2022-05-29'),
      'update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time\n1553205153844,6.718,16.2,6.719,3.7,1653812037547,1653812037552\n');
    const [t] = ticker.records as BookTickerRecord[];
    assert.deepEqual([t?.updateId, t?.bidPrice, t?.askQty, t?.transactionTimeUs, t?.eventTimeUs], [1553205153844, 6.718, 3.7, 1653812037547000, 1653812037552000]);
  });

  it('reads bookDepth bands written as -5.00 and the newer ±0.2 bands', async () => {
    const { records, dead } = await parseBody(fileOf('um', 'BTCUSDT', 'bookDepth', '2025-05-19'),
      'timestamp,percentage,depth,notional\n2025-05-19 11:08:01,-5.00,7885.275,647368074.3692\n2025-05-19 11:08:01,-0.20,120.5,9890000.1\n2025-05-19 11:08:01,0.20,98.25,8100000\n');
    assert.deepEqual([dead.length, ...(records as BookDepthRecord[]).map((b) => b.percentage)], [0, -5, -0.2, 0.2]);
  });

  it('reads liquidationSnapshot rows (ms, SELL = long liquidated) and loads a repeated row once per identity', async () => {
    const row = '1688169600123,SELL,LIMIT,IOC,5,30500.1,30480.5,FILLED,5,5';
    const { records, dead } = await parseBody(fileOf('cm', 'BTCUSD_PERP', 'liquidationSnapshot', '2023-07-01'),
      `time,side,order_type,time_in_force,original_quantity,price,average_price,order_status,last_fill_quantity,accumulated_fill_quantity\n${row}\n${row}\n`);
    const liqs = records as LiquidationRecord[];
    assert.equal(dead.length, 0);
    assert.deepEqual([liqs[0]?.eventTimeUs, liqs[0]?.side, liqs[0]?.origQty, liqs[0]?.avgPrice, liqs[0]?.lastFilledQty, liqs[0]?.orderStatus],
      [1688169600123000, 'SELL', 5, 30480.5, 5, 'FILLED']);
    assert.equal(new Set(liqs.map(identityKeyOf)).size, 1, 'the duplicate collapses on the identity key');
  });

  it('reads the option BVOLIndex row of docs/BINANCE.md §3.3 (ms calc_time, the index symbol per row)', async () => {
    const { records, stats } = await parseBody(fileOf('option', 'BTCBVOLUSDT', 'BVOLIndex', '2026-04-01'),
      'calc_time,symbol,base_asset,quote_asset,index_value\n1775001600002,BTCBVOLUSDT,BTCBVOL,USDT,54.0601\n');
    const [b] = records as BvolIndexRecord[];
    assert.deepEqual([stats.header, b?.market, b?.symbol, b?.eventTimeUs, b?.baseAsset, b?.quoteAsset, b?.indexValue],
      [true, 'option', 'BTCBVOLUSDT', 1775001600002000, 'BTCBVOL', 'USDT', 54.0601]);
  });

  it('reads EOHSummary rows at date + hour, per option contract, with empty cells as null', async () => {
    const header = 'date,hour,symbol,underlying,type,strike,open,high,low,close,volume_contracts,volume_usdt,best_bid_price,best_ask_price,best_bid_qty,best_ask_qty,best_buy_iv,best_sell_iv,mark_price,mark_iv,delta,gamma,vega,theta,openinterest_contracts,openinterest_usdt';
    const rows = [
      '2023-10-27,0,BTC-231027-34000-C,BTCUSDT,C,34000,120,135,110,130,12.5,425000,125,130,3.2,1.1,0.41,0.45,128.5,0.43,0.52,0.0004,11.2,-40.1,88.1,3000000',
      '2023-10-27,23,BTC-231027-30000-P,BTCUSDT,P,30000,5,5,5,5,0,0,,,,,,,4.9,0.5,-0.01,0.00001,0.3,-2.1,10,300000',
    ];
    const { records, dead } = await parseBody(fileOf('option', 'BTCUSDT', 'EOHSummary', '2023-10-27'), `${header}\n${rows.join('\n')}\n`);
    const [call, put] = records as EohSummaryRecord[];
    assert.equal(dead.length, 0);
    assert.deepEqual([call?.symbol, call?.underlying, call?.optionType, call?.strike, call?.eventTimeUs, call?.hour, call?.openInterestUsdt],
      ['BTC-231027-34000-C', 'BTCUSDT', 'C', 34000, Date.UTC(2023, 9, 27) * 1000, 0, 3000000]);
    assert.deepEqual([put?.eventTimeUs, put?.bestBidPrice, put?.bestBuyIv, put?.markPrice, put?.theta], [Date.UTC(2023, 9, 27, 23) * 1000, null, null, 4.9, -2.1]);
  });
});
