/**
 * `serve --indicators` over Kafka and `lakehouse indicators` over the lake give identical indicator rows for the
 * same day: the real 1m klines of 2020-01-01 are produced to Kafka (Avro) in two parts, served into a lake with
 * the four indicators — stopped after the first part and started again, flushed and renewed whenever idle, so
 * each part is re-read from the engine's horizon — and the batch command recomputes them from the klines serve
 * wrote there. Every row serve wrote must equal the batch's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { firstValueFrom, lastValueFrom, of, toArray } from 'rxjs';
import { toKafka } from '../../connectors/kafka/to-kafka.js';
import { topicFor } from '../../connectors/kafka/topic-for.js';
import { fromParquetLake } from '../../connectors/parquet/from-parquet-lake.js';
import { resolveConfig } from '../../pipelines/config.js';
import { indicatorsCommand, runIndicators } from '../../pipelines/indicators.js';
import { runServe, serveCommand } from '../../pipelines/serve.js';
import { identityKeyOf, makeVersion, type IndicatorRecord, type KlineRecord } from '../../schemas/index.js';
import { realFixtureKlines } from '../support/fixture-klines.js';
import { kafkaService, registryService } from '../support/services.js';

const RUN = `ind${Date.now().toString(36)}${process.pid}`;
const SPECS = 'rsi:14,macd:12:26:9,bb:20:2,vwap';

test('serve --indicators over Kafka, restarted mid-way and renewed by idle flushes, gives the rows lakehouse indicators computes over the lake', { timeout: 300_000 }, async (t) => {
  const [kafka, registry] = await Promise.all([kafkaService(), registryService()]);
  if (kafka === undefined || registry === undefined) return t.skip('services not configured');
  const lake = mkdtempSync(join(tmpdir(), 'serve-indicators-'));
  t.after(() => rmSync(lake, { recursive: true, force: true }));
  const symbol = `I${RUN}`.toUpperCase();
  const klines = realFixtureKlines(['BTCUSDT-1m-2020-01-01.zip'], { symbol, version: makeVersion('archive', 1_689_552_000_000) });
  const topicOf = (r: { kind: string }): string => `${RUN}.${topicFor(r as KlineRecord)}`;
  const produce = (records: KlineRecord[], part: number): Promise<unknown> =>
    firstValueFrom(of({ kind: 'kline' as const, unitId: `${RUN}#${part}`, records }).pipe(toKafka({ kafka, registry, topicOf, partitions: 1 }), toArray()));

  // A short idle flush: once a part is read, the engine is flushed and renewed, re-reading from its horizon.
  const argv = ['--topics', topicOf(klines[0]), '--group-id', `${RUN}-group`, '--lake', lake, '--sink', 'parquet', '--intervals', 'none', '--indicators', SPECS, '--idle-flush', '2s'];
  const env = { KAFKA_BROKERS: kafka.brokers.join(','), SCHEMA_REGISTRY_URL: registry.url };
  const { config } = resolveConfig('serve', serveCommand.options, argv, env);
  const served = async (): Promise<IndicatorRecord[]> =>
    (await lastValueFrom(fromParquetLake({ root: lake, type: 'indicators', kind: 'indicator', symbol }).pipe(toArray()))).filter((r): r is IndicatorRecord => r.kind === 'indicator');
  const keysOf = (rows: readonly IndicatorRecord[]): number => new Set(rows.map(identityKeyOf)).size;
  /** Runs serve while `parts` of the klines are produced one by one, until the lake holds the rows of the first `bars`; then stops it. */
  const serveWhile = async (parts: KlineRecord[][], bars: number): Promise<void> => {
    const stop = new AbortController();
    const deadline = setTimeout(() => stop.abort(), 120_000);
    const poll = setInterval(() => { void served().then((rows) => { if (keysOf(rows) >= bars * 4) stop.abort(); }, () => undefined); }, 1000);
    try {
      const serving = runServe(config, stop.signal);
      for (const part of parts) {
        await produce(part, unit++);
        await new Promise((resolve) => setTimeout(resolve, 500)); // separate batches: serve commits between them
      }
      await serving;
    } finally {
      clearTimeout(deadline);
      clearInterval(poll);
    }
  };
  let unit = 0;
  const partsOf = (from: number, to: number): KlineRecord[][] => Array.from({ length: Math.ceil((to - from) / 100) }, (_, i) => klines.slice(from + i * 100, Math.min(to, from + (i + 1) * 100)));
  // Stopped mid-day after commits: the restart re-reads from the seeds before its horizon (the session vwap's
  // midnight, the rsi and macd epochs), not from the start of the topic.
  const cut = 1000;
  await serveWhile(partsOf(0, cut), cut);
  await serveWhile(partsOf(cut, klines.length), klines.length);
  const streamed = await served();
  assert.equal(keysOf(streamed), klines.length * 4, `${keysOf(streamed)} indicator rows`);

  const batch = resolveConfig('indicators', indicatorsCommand.options,
    ['--symbol', symbol, '--type', 'klines:1m', '--from', '2020-01-01', '--lake', lake, '--indicators', SPECS, '--no-write'], {}).config;
  const { rows, bars } = await runIndicators(batch);
  assert.equal(bars, klines.length);
  const expected = new Map(rows.map((r) => [identityKeyOf(r), r]));
  assert.equal(expected.size, bars * 4);
  // Every row serve wrote, first read or re-read, equals the batch's row of its key: none differs, none is missing.
  for (const row of streamed) assert.deepEqual(row, expected.get(identityKeyOf(row)), identityKeyOf(row));
});
