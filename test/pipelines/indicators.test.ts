import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { lastValueFrom, of, toArray } from 'rxjs';
import { RSI } from 'trading-signals';
import { mapArchiveKline } from '../../connectors/binance-archive/map-archive-kline.js';
import { RowCursor } from '../../connectors/binance-archive/row-cursor.js';
import { fromParquetLake } from '../../connectors/parquet/from-parquet-lake.js';
import { toParquetLake } from '../../connectors/parquet/to-parquet-lake.js';
import { parseIndicatorSpecs } from '../../operators/indicator-spec.js';
import { main } from '../../pipelines/cli.js';
import { resolveConfig } from '../../pipelines/config.js';
import { indicatorsCommand, runIndicators } from '../../pipelines/indicators.js';
import { ServeEngine } from '../../pipelines/serve-engine.js';
import { identityKeyOf, makeVersion, type IndicatorRecord, type KlineRecord } from '../../schemas/index.js';
import { realFixtureText } from '../support/fixtures.js';

const minutes = ['BTCUSDT-1m-2020-01-01.zip', 'BTCUSDT-1m-2020-01-02.zip'].flatMap((name) => realFixtureText(name).trim().split('\n'))
  .map((line, i) => mapArchiveKline(new RowCursor().reset(line), {
    market: 'spot', symbol: 'BTCUSDT', interval: '1m', priceKind: 'trade', ingestId: `fixture:${i}`, version: makeVersion('archive', 1_600_000_000_000),
  }) as KlineRecord);

const SPECS = ['rsi:14', 'macd:12:26:9', 'bb:20:2', 'vwap'];

function sortRows(rows: readonly IndicatorRecord[]): IndicatorRecord[] {
  return [...rows].sort((a, b) => (identityKeyOf(a) < identityKeyOf(b) ? -1 : identityKeyOf(a) > identityKeyOf(b) ? 1 : 0));
}

describe('lakehouse indicators', () => {
  let root: string;
  const config = (extra: string[] = []) => resolveConfig('indicators', indicatorsCommand.options,
    ['--symbol', 'BTCUSDT', '--type', 'klines:1m', '--from', '2020-01-01', '--to', '2020-01-02', '--lake', root, ...extra], {}).config;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'indicators-'));
    await lastValueFrom(of({ kind: 'kline' as const, unitId: 'fixture#0', records: minutes }).pipe(toParquetLake({ root }), toArray()));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('computes every default indicator over two real days of 1m klines in the lake and writes the rows back', async () => {
    const { rows, bars } = await runIndicators(config());
    assert.equal(bars, 2880);
    assert.equal(rows.length, 2880 * 4);
    const oracle = new RSI(14);
    const expected = minutes.map((k) => oracle.update(k.close, false));
    const rsi = rows.filter((r) => r.indicator === 'rsi');
    rsi.forEach((row, i) => assert.equal(row.value, i < 14 ? null : expected[i]));
    const written = await lastValueFrom(fromParquetLake({ root, type: 'indicators', kind: 'indicator', symbol: 'BTCUSDT' }).pipe(toArray()));
    assert.deepEqual(sortRows(written as IndicatorRecord[]), sortRows(rows));
  });

  it('gives the same rows as the serving chain (serve --indicators) over the same days', async () => {
    const { rows } = await runIndicators(config(['--no-write']));
    const engine = new ServeEngine({ intervals: [], indicators: parseIndicatorSpecs(SPECS), allowedLatenessUs: 1_000_000, fill: 'none' });
    const out = [...engine.push(minutes.slice(0, 1000), 0), ...engine.push(minutes.slice(1000), 0), ...engine.flush()];
    engine.close();
    const streamed = out.filter((r): r is IndicatorRecord => r.kind === 'indicator');
    assert.equal(streamed.length, rows.length);
    assert.deepEqual(sortRows(streamed), sortRows(rows));
  });

  it('prints a summary, or JSON lines, and rejects a stream that is not bars', async () => {
    const text: string[] = [];
    const context = { env: {}, stdout: { write: (s: string) => text.push(s) }, stderr: { write: (s: string) => text.push(s) }, signal: new AbortController().signal } as never;
    assert.equal(await main(['indicators', '--symbol', 'BTCUSDT', '--type', 'klines:1m', '--from', '2020-01-01', '--lake', root, '--indicators', 'rsi:14', '--no-write'], context), 0);
    assert.match(text.join(''), /1440 bars read, 1440 indicator rows \(14 warm-up\)/);
    text.length = 0;
    assert.equal(await main(['indicators', '--symbol', 'BTCUSDT', '--type', 'klines:1m', '--from', '2020-01-01', '--lake', root, '--indicators', 'bb:20:2', '--no-write', '--json'], context), 0);
    const lines = text.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines.at(-1), { event: 'summary', bars: 1440, rows: 1440, warmUp: 19, written: false });
    text.length = 0;
    assert.equal(await main(['indicators', '--symbol', 'BTCUSDT', '--type', 'trades', '--from', '2020-01-01', '--lake', root], context), 2);
    assert.equal(await main(['indicators', '--symbol', 'BTCUSDT', '--type', 'klines:1m', '--from', '2020-01-01', '--lake', root, '--indicators', 'ema:3'], context), 2);
  });
});
