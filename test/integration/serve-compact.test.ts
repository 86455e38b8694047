/**
 * `lakehouse serve --sink parquet` over a topic holding both layers of the same trades: the live copies are
 * served first, the archive's copies (higher version) are produced afterwards and served by a second run of the
 * group (an archive loaded after the live data, as in production). Every stored row of the lake — read from the
 * Parquet files, not through the latest-version views — is one per identity key, the archive's, in the silver
 * trades and in the gold bars.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { firstValueFrom, of, toArray } from 'rxjs';
import { toKafka } from '../../connectors/kafka/to-kafka.js';
import { topicFor } from '../../connectors/kafka/topic-for.js';
import { queryLake } from '../../connectors/parquet/query-lake.js';
import { resolveConfig } from '../../pipelines/config.js';
import { runServe, serveCommand } from '../../pipelines/serve.js';
import type { TradeRecord } from '../../schemas/records.js';
import { makeVersion } from '../../schemas/version.js';
import { sampleRecord } from '../support/sample-records.js';
import { kafkaService, registryService } from '../support/services.js';

const RUN = `servecompact${Date.now().toString(36)}${process.pid}`;

test('serve --sink parquet keeps one row per identity key in the lake when the archive copy comes after the live one', { timeout: 240_000 }, async (t) => {
  const [kafka, registry] = await Promise.all([kafkaService(), registryService()]);
  if (kafka === undefined || registry === undefined) return t.skip('services not configured');
  const lake = mkdtempSync(join(tmpdir(), 'serve-compact-'));
  t.after(() => rmSync(lake, { recursive: true, force: true }));
  const symbol = `S${RUN}`.toUpperCase();
  const base = sampleRecord('trade', 0).eventTimeUs;
  const trade = (i: number, source: 'ws' | 'archive'): TradeRecord => ({
    ...sampleRecord('trade', 0), market: 'spot', symbol, tradeId: 1000 + i, price: source === 'archive' ? 200 + i : 100 + i, qty: 1, quoteQty: 100,
    contracts: null, baseQty: null, isBestMatch: true, eventTimeUs: base + i * 20_000_000, source,
    version: source === 'archive' ? makeVersion('archive', Date.UTC(2025, 6, 2)) : makeVersion('ws', Date.UTC(2025, 6, 1), true),
    receiveTimeUs: source === 'archive' ? null : base + i * 20_000_000, ingestId: `${source}/${i}`,
  });
  const topicOf = (r: { kind: string }): string => `${RUN}.${topicFor(r as TradeRecord)}`;
  const produce = (records: TradeRecord[], unit: string): Promise<unknown> => firstValueFrom(of({ kind: 'trade' as const, unitId: `${RUN}#${unit}`, records })
    .pipe(toKafka({ kafka, registry, topicOf, partitions: 1 }), toArray()));
  const ids = Array.from({ length: 9 }, (_, i) => i);
  await produce(ids.map((i) => trade(i, 'ws')), 'live');

  const argv = ['--topics', topicOf(trade(0, 'ws')), '--group-id', `${RUN}-group`, '--lake', lake, '--sink', 'parquet', '--idle-flush', '500ms'];
  const env = { KAFKA_BROKERS: kafka.brokers.join(','), SCHEMA_REGISTRY_URL: registry.url };
  const { config } = resolveConfig('serve', serveCommand.options, argv, env);
  const latest = async (sql: string): Promise<number> => {
    try {
      return Number((await queryLake({ root: lake, sql, latestOnly: true }))[0].n);
    } catch {
      return -1; // files renamed under the reader (a compaction): ask again
    }
  };
  const serveUntil = async (done: () => Promise<boolean>): Promise<void> => {
    const stop = new AbortController();
    const deadline = setTimeout(() => stop.abort(), 60_000); // a hang becomes a failed assertion below
    const poll = setInterval(() => { void done().then((yes) => { if (yes) stop.abort(); }, () => undefined); }, 500);
    try {
      await runServe(config, stop.signal);
    } finally {
      clearTimeout(deadline);
      clearInterval(poll);
    }
  };
  await serveUntil(async () => await latest(`SELECT count(*) AS n FROM trades WHERE symbol = '${symbol}'`) === 9);
  await produce(ids.map((i) => trade(i, 'archive')), 'archive');
  await serveUntil(async () => await latest(`SELECT count(*) AS n FROM trades WHERE symbol = '${symbol}' AND price >= 200`) === 9);

  const stored = async (type: string, key: string): Promise<{ rows: number; keys: number; archive: number }> => {
    const [row] = await queryLake({
      root: lake, allowExternalAccess: true,
      sql: `SELECT count(*) AS rows, count(DISTINCT ${key}) AS keys, count(*) FILTER (WHERE source = 'archive') AS archive
            FROM read_parquet('${lake}/exchange=*/market=*/type=${type}/symbol=${symbol}/date=*/*.parquet', hive_partitioning = false)`,
    });
    return { rows: Number(row.rows), keys: Number(row.keys), archive: Number(row.archive) };
  };
  assert.deepEqual(await stored('trades', 'tradeId'), { rows: 9, keys: 9, archive: 9 }, 'silver: one row per trade, the archive\'s');
  const bars = await stored('klines_1m', 'openTimeUs');
  assert.ok(bars.keys >= 3, JSON.stringify(bars));
  assert.equal(bars.rows, bars.keys, 'gold: one row per bar');
});
