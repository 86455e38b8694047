/**
 * `serve --indicators` over Kafka and `lakehouse indicators` over the lake give identical indicator rows for the
 * same day: the real 1m klines of 2020-01-01 are produced to Kafka (Avro), served into a lake with the four
 * indicators, and the batch command recomputes them from the klines serve wrote there. Serve runs without an
 * idle flush (a flush re-reads the tail with a fresh engine, whose indicators start over: see README), so the
 * last bars stay held by the watermark and every other bar's rows must be there, equal to the batch's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { firstValueFrom, lastValueFrom, of, toArray } from 'rxjs';
import { mapArchiveKline } from '../../connectors/binance-archive/map-archive-kline.js';
import { RowCursor } from '../../connectors/binance-archive/row-cursor.js';
import { toKafka } from '../../connectors/kafka/to-kafka.js';
import { topicFor } from '../../connectors/kafka/topic-for.js';
import { fromParquetLake } from '../../connectors/parquet/from-parquet-lake.js';
import { resolveConfig } from '../../pipelines/config.js';
import { indicatorsCommand, runIndicators } from '../../pipelines/indicators.js';
import { runServe, serveCommand } from '../../pipelines/serve.js';
import { identityKeyOf, makeVersion, type IndicatorRecord, type KlineRecord } from '../../schemas/index.js';
import { realFixtureText } from '../support/fixtures.js';
import { kafkaService, registryService } from '../support/services.js';

const RUN = `ind${Date.now().toString(36)}${process.pid}`;
const SPECS = 'rsi:14,macd:12:26:9,bb:20:2,vwap';

test('serve --indicators over Kafka and lakehouse indicators over the lake give identical rows for the same day', { timeout: 300_000 }, async (t) => {
  const [kafka, registry] = await Promise.all([kafkaService(), registryService()]);
  if (kafka === undefined || registry === undefined) return t.skip('services not configured');
  const lake = mkdtempSync(join(tmpdir(), 'serve-indicators-'));
  t.after(() => rmSync(lake, { recursive: true, force: true }));
  const symbol = `I${RUN}`.toUpperCase();
  const klines = realFixtureText('BTCUSDT-1m-2020-01-01.zip').trim().split('\n').map((line, i) => mapArchiveKline(new RowCursor().reset(line), {
    market: 'spot', symbol, interval: '1m', priceKind: 'trade', ingestId: `fixture:${i}`, version: makeVersion('archive', 1_689_552_000_000),
  }) as KlineRecord);
  const topicOf = (r: { kind: string }): string => `${RUN}.${topicFor(r as KlineRecord)}`;
  await firstValueFrom(of({ kind: 'kline' as const, unitId: `${RUN}#0`, records: klines }).pipe(toKafka({ kafka, registry, topicOf, partitions: 1 }), toArray()));

  const argv = ['--topics', topicOf(klines[0]), '--group-id', `${RUN}-group`, '--lake', lake, '--sink', 'parquet', '--intervals', 'none', '--indicators', SPECS, '--idle-flush', '1h'];
  const env = { KAFKA_BROKERS: kafka.brokers.join(','), SCHEMA_REGISTRY_URL: registry.url };
  const { config } = resolveConfig('serve', serveCommand.options, argv, env);
  const served = async (): Promise<IndicatorRecord[]> =>
    (await lastValueFrom(fromParquetLake({ root: lake, type: 'indicators', kind: 'indicator', symbol }).pipe(toArray()))).filter((r): r is IndicatorRecord => r.kind === 'indicator');
  const stop = new AbortController();
  const deadline = setTimeout(() => stop.abort(), 200_000);
  const held = 2; // the newest bars the merge and the watermark hold back until more input (or a flush) comes
  const poll = setInterval(() => { void served().then((rows) => { if (rows.length >= (klines.length - held) * 4) stop.abort(); }, () => undefined); }, 1000);
  try {
    await runServe(config, stop.signal);
  } finally {
    clearTimeout(deadline);
    clearInterval(poll);
  }
  const streamed = await served();
  assert.ok(streamed.length >= (klines.length - held) * 4, `${streamed.length} rows`);

  const batch = resolveConfig('indicators', indicatorsCommand.options,
    ['--symbol', symbol, '--type', 'klines:1m', '--from', '2020-01-01', '--lake', lake, '--indicators', SPECS, '--no-write'], {}).config;
  const { rows, bars } = await runIndicators(batch);
  assert.ok(bars >= klines.length - held, `${bars} bars in the lake`); // serve wrote the bars it released
  const byKey = (list: readonly IndicatorRecord[]): Map<string, IndicatorRecord> => new Map(list.map((r) => [identityKeyOf(r), r]));
  const expected = byKey(rows);
  assert.equal(expected.size, bars * 4);
  assert.equal(streamed.length, bars * 4);
  for (const [key, row] of byKey(streamed)) assert.deepEqual(row, expected.get(key), key);
});
