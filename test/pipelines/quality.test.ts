import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { lastValueFrom, of, toArray } from 'rxjs';
import { fromParquetLake } from '../../connectors/parquet/from-parquet-lake.js';
import { toParquetLake } from '../../connectors/parquet/to-parquet-lake.js';
import { LATE_RECORD } from '../../operators/resample.js';
import { main } from '../../pipelines/cli.js';
import { resolveConfig } from '../../pipelines/config.js';
import { EXIT_INCOMPLETE, qualityCommand, runQuality } from '../../pipelines/quality.js';
import { makeVersion, US_PER_MINUTE, type AnyRecord, type DeadLetterRecord, type GapRecord, type TradeRecord } from '../../schemas/index.js';
import { realFixtureKlines } from '../support/fixture-klines.js';
import { sampleRecord } from '../support/sample-records.js';

const archive = realFixtureKlines(['BTCUSDT-1m-2020-01-01.zip', 'BTCUSDT-1m-2020-01-02.zip']);
/** The known hole: 10:00–10:59 of 2020-01-01 is not in the lake. */
const HOLE = { from: 600, to: 660 };
const DAY1_US = archive[0].openTimeUs;

async function write(root: string, unitId: string, kind: AnyRecord['kind'], records: AnyRecord[]): Promise<void> {
  await lastValueFrom(of({ kind, unitId, records }).pipe(toParquetLake({ root }), toArray()));
}

function letter(errorName: string, minute: number): DeadLetterRecord {
  return { ...sampleRecord('deadLetter'), market: 'spot', symbol: 'BTCUSDT', eventTimeUs: DAY1_US + minute * US_PER_MINUTE, errorName, ingestId: `dlq:${errorName}:${minute}` };
}

describe('lakehouse quality', () => {
  let root: string;
  const config = (extra: string[] = []) => resolveConfig('quality', qualityCommand.options,
    ['--symbol', 'BTCUSDT', '--type', 'klines:1m', '--from', '2020-01-01', '--to', '2020-01-02', '--lake', root, ...extra], {}).config;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'quality-'));
    await write(root, 'archive#0', 'kline', archive.filter((_, i) => i < HOLE.from || i >= HOLE.to));
    // A live copy of minute 10 (lower version: the archive row is kept, the copy is a duplicate) and two dead letters.
    await write(root, 'live#0', 'kline', [{ ...archive[10], source: 'ws', version: makeVersion('ws', 1_577_840_000_000) }]);
    await write(root, 'dlq#0', 'deadLetter', [letter('DecodeError', 5), letter(LATE_RECORD, 7)]);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('shows the known hole with its detected cause and the right completeness; the full day scores 1', async () => {
    const [day1, day2] = await runQuality(config(['--no-write']), 1_700_000_000_000);
    assert.deepEqual({ ...day1, version: 0 }, {
      kind: 'quality', exchange: 'binance', market: 'spot', symbol: 'BTCUSDT', eventTimeUs: DAY1_US, source: 'derived', receiveTimeUs: null,
      ingestId: 'quality/binance.spot.kline.trade.1m.BTCUSDT', version: 0, stream: 'binance.spot.kline.trade.1m.BTCUSDT', dataType: 'kline',
      interval: '1m', day: '2020-01-01', expected: 1440, covered: 1380, completeness: 1380 / 1440, gapCount: 1,
      missingByCause: 'archive_missing=60', duplicates: 1, deadLetters: 1, lateRecords: 1,
    });
    assert.equal(day2.day, '2020-01-02');
    assert.deepEqual([day2.expected, day2.covered, day2.completeness, day2.gapCount, day2.missingByCause, day2.duplicates], [1440, 1440, 1, 0, '', 0]);
  });

  it('takes the cause from the gap ledger in the lake where it has the hole, and writes the scores', async () => {
    const ledger: GapRecord = {
      ...sampleRecord('gap'), market: 'spot', symbol: 'BTCUSDT', stream: 'binance.spot.kline.trade.1m.BTCUSDT', dataType: 'kline', interval: '1m',
      fromUs: DAY1_US + HOLE.from * US_PER_MINUTE, toUs: DAY1_US + HOLE.to * US_PER_MINUTE, eventTimeUs: DAY1_US + HOLE.from * US_PER_MINUTE,
      fromId: null, toId: null, cause: 'ws_disconnect', state: 'unfillable',
    };
    await write(root, 'ledger#0', 'gap', [ledger]);
    const [day1] = await runQuality(config());
    assert.equal(day1.missingByCause, 'ws_disconnect=60');
    const written = await lastValueFrom(fromParquetLake({ root, type: 'quality', kind: 'quality', symbol: 'BTCUSDT' }).pipe(toArray()));
    assert.deepEqual(written.map((q) => q.kind === 'quality' && [q.day, q.completeness]), [['2020-01-01', 1380 / 1440], ['2020-01-02', 1]]);
  });

  it('exits non-zero below --min-completeness (text and JSON), zero at or above it', async () => {
    const text: string[] = [];
    const context = { env: {}, stdout: { write: (s: string) => text.push(s) }, stderr: { write: (s: string) => text.push(s) }, signal: new AbortController().signal } as never;
    const argv = ['quality', '--symbol', 'BTCUSDT', '--type', 'klines:1m', '--from', '2020-01-01', '--to', '2020-01-02', '--lake', root, '--no-write'];
    assert.equal(await main([...argv, '--min-completeness', '0.99'], context), EXIT_INCOMPLETE);
    assert.match(text.join(''), /2020-01-01 {2}binance\.spot\.kline\.trade\.1m\.BTCUSDT {2}completeness 95\.83% \(1380\/1440\) {2}gaps 1 \(ws_disconnect=60\)/);
    assert.match(text.join(''), /1 day\(s\) below completeness 0.99: 2020-01-01/);
    text.length = 0;
    assert.equal(await main([...argv, '--min-completeness', '0.95', '--json'], context), 0);
    const lines = text.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines.at(-1), { event: 'summary', days: 2, belowThreshold: [], minCompleteness: 0.95 });
    assert.equal(await main([...argv, '--min-completeness', '1.5'], context), 2);
  });

  it('scores trades by ids: a hole in the ids is missing with cause sequence_break, in the day of the trade after it', async () => {
    const trades: TradeRecord[] = [1, 2, 3, 7, 8, 9, 10].map((id) => ({
      ...sampleRecord('trade'), market: 'spot', symbol: 'ETHUSDT', tradeId: id, eventTimeUs: DAY1_US + id * 1_000_000, ingestId: `t:${id}`,
    }));
    await write(root, 'trades#0', 'trade', trades);
    const [day] = await runQuality(resolveConfig('quality', qualityCommand.options,
      ['--symbol', 'ETHUSDT', '--type', 'trades', '--from', '2020-01-01', '--lake', root, '--no-write'], {}).config);
    assert.deepEqual([day.expected, day.covered, day.completeness, day.gapCount, day.missingByCause], [10, 7, 0.7, 1, 'sequence_break=3']);
  });
});
