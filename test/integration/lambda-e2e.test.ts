/**
 * The lambda architecture end to end on the real services, one symbol and one day through both layers:
 * the batch layer (`backfill --sink kafka` of a generated archive day, cut short of its end) and the speed
 * layer (`stream --sink kafka` from the replay server playing the second half of the same day and on past the
 * archive's end, with a dropped socket and an id hole the WebSocket never delivers: REST-only trades), then
 * `serve --sink clickhouse,parquet,kafka --intervals 1m`. In the end ClickHouse `FINAL` holds every source id once,
 * the archive's copy wherever both layers had the trade, the 1m bars equal an aggregation of the merged
 * trades, the disconnect is in the gap ledger (read from md.gaps, not written back to it), and the lake holds
 * the same rows and versions as `FINAL`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { after, test } from 'node:test';
import { feedFromArchiveFile } from '../../connectors/binance-replay/archive-csv.js';
import { startReplayServer } from '../../connectors/binance-replay/replay-server.js';
import type { Admin } from 'kafkajs';
import { createKafka } from '../../connectors/kafka/config.js';
import { queryLake } from '../../connectors/parquet/query-lake.js';
import { backfillCommand } from '../../pipelines/backfill.js';
import { streamCommand } from '../../pipelines/stream.js';
import { generateArchiveMirror, writeArchiveFile } from '../support/archive-mirror.js';
import { removeTempDirs, runBackfillJson, tempDir } from '../pipelines/backfill-support.js';
import { lambdaServices, serveUntil } from './lambda-support.js';

after(removeTempDirs);

const RUN = `lam${Date.now().toString(36)}${process.pid}`;
const DAY = '2025-07-01';
/** Trades of the day; the archive holds the first ARCHIVED, the live feed plays from LIVE_FROM to the end. */
const TRADES = 2400;
const ARCHIVED = 1800;
const LIVE_FROM = 1200;

test('backfill and stream of one day through Kafka, then serve: FINAL = source ids, archive wins, bars = SQL, gap ledger, lake = FINAL', { timeout: 300_000 }, async (t) => {
  const database = `${RUN}_db`;
  const services = await lambdaServices(t, database);
  if (services === undefined) return;
  const { env, rows } = services;
  const symbol = `L${RUN}USDT`.toUpperCase();
  const prefix = `${RUN}.`;

  // The day in full (the live feed), and the archive of its first ARCHIVED trades.
  const fullDir = await tempDir('lambda-full');
  const [full] = await generateArchiveMirror(fullDir, { markets: ['spot'], symbols: [symbol], types: ['trades'], fromDay: DAY, toDay: DAY, eventsPerDay: TRADES });
  assert.ok(full !== undefined && full.rows === TRADES);
  const lines = execFileSync('unzip', ['-p', full.path]).toString().trim().split('\n');
  const ids = lines.map((line) => Number(line.split(',')[0]));
  const archiveDir = await tempDir('lambda-archive');
  await writeArchiveFile(archiveDir, full.file, { lines: lines.slice(0, ARCHIVED) });

  const backfill = await runBackfillJson({ ...backfillCommand, run: (a, context) => backfillCommand.run(a, { ...context, env }) }, [
    '--market', 'spot', '--symbols', symbol, '--types', 'trades', '--from', DAY, '--archive', archiveDir,
    '--sink', 'kafka', '--topic-prefix', prefix, '--manifest', `${archiveDir}/m.jsonl`]);
  assert.equal(backfill.exitCode, 0, backfill.stdout + backfill.stderr);
  assert.equal(backfill.report.rows, ARCHIVED);

  const feed = await feedFromArchiveFile(full.path, 'spot');
  const server = await startReplayServer({ feed: { ...feed, events: feed.events.slice(LIVE_FROM) }, rate: 400 });
  t.after(() => server.close());
  const faults = setInterval(() => {
    if (server.stats.framesSent >= 300 && server.faults.injected.drops === 0) server.faults.drop();
    if (server.stats.framesSent >= 800 && server.faults.injected.holeEvents === 0 && server.faults.holeCount === 0) server.faults.hole(5);
  }, 5);
  t.after(() => clearInterval(faults));
  const stopStream = new AbortController();
  void server.finished.then(async () => {
    while (server.stats.restCalls < 2) await new Promise((resolve) => setTimeout(resolve, 50)); // both repairs asked REST
    setTimeout(() => stopStream.abort(new Error('SIGINT')), 2000);
  });
  const streamOut = new PassThrough();
  let streamText = '';
  streamOut.on('data', (chunk) => { streamText += String(chunk); });
  const streamed = await streamCommand.run(
    ['--market', 'spot', '--symbols', symbol, '--types', 'trades', '--ws-url', server.wsUrl, '--rest-url', server.restUrl,
      '--sink', 'kafka', '--topic-prefix', prefix, '--batch-ms', '100', '--json'],
    { env, stdout: streamOut, stderr: new PassThrough(), signal: stopStream.signal },
  );
  clearInterval(faults);
  assert.equal(streamed, 0, streamText);
  assert.equal(server.faults.injected.drops, 1);
  assert.equal(server.faults.injected.holeEvents, 5);

  const gapsTopic = `${prefix}md.gaps`;
  const liveGaps = await messagesIn(env, gapsTopic);
  assert.ok(liveGaps >= 4, `the live layer's gap records (open, then filled): ${liveGaps}`);

  const lake = await tempDir('lambda-lake');
  const final = `SELECT toString(count()) AS n FROM ${database}.trades FINAL WHERE symbol = '${symbol}'`;
  const disconnects = `SELECT toString(count()) AS n FROM ${database}.gaps FINAL WHERE cause = 'ws_disconnect'`;
  const report = await serveUntil([
    '--group-id', `${RUN}-group`, '--topic-prefix', prefix, '--sink', 'clickhouse,parquet,kafka', '--lake', lake, '--intervals', '1m',
    '--idle-flush', '1s', '--clickhouse-database', database,
  ], env, async () => Number((await rows<{ n: string }>(final))[0]?.n) === TRADES && Number((await rows<{ n: string }>(disconnects))[0]?.n) > 0
    && await readToEnd(env, `${RUN}-group`, gapsTopic)); // the gap records' writes, the derived ones too, were acknowledged

  assert.equal(report.restarts, 0);

  // Every source id once; the archive's copy wherever the archive had the trade, a live copy (ws or rest) after it.
  const merged = await rows<{ id: string; source: string; version: string }>(
    `SELECT toString(tradeId) AS id, source, toString(version) AS version FROM ${database}.trades FINAL WHERE symbol = '${symbol}' ORDER BY tradeId`);
  assert.deepEqual(merged.map((r) => Number(r.id)), ids);
  assert.deepEqual(merged.slice(0, ARCHIVED).filter((r) => r.source !== 'archive'), []);
  assert.deepEqual([...new Set(merged.slice(ARCHIVED).map((r) => r.source))].sort(), ['rest', 'ws']);
  // The live layer's copies of archived trades did reach the table (they lost by version, not by absence).
  const [liveCopies] = await rows<{ n: string }>(`SELECT toString(count()) AS n FROM ${database}.trades WHERE symbol = '${symbol}' AND source != 'archive' AND tradeId < ${ids[ARCHIVED]}`);
  assert.ok(Number(liveCopies.n) > 0, 'the overlap reached the sinks from both layers');

  // The bars serve wrote equal an aggregation of the merged trades.
  const [mismatched] = await rows<{ n: string }>(`
    SELECT toString(count()) AS n FROM (
      SELECT intDiv(eventTimeUs, 60000000) * 60000000 AS openTimeUs, count() AS trades, sum(qty) AS volume,
             max(price) AS high, min(price) AS low, argMin(price, tradeId) AS open, argMax(price, tradeId) AS close
      FROM ${database}.trades FINAL WHERE symbol = '${symbol}' GROUP BY openTimeUs
    ) AS sql_bars
    FULL OUTER JOIN (
      SELECT openTimeUs, tradeCount, volume AS barVolume, high AS barHigh, low AS barLow, open AS barOpen, close AS barClose
      FROM ${database}.klines FINAL WHERE symbol = '${symbol}' AND source = 'resample' AND \`interval\` = '1m'
    ) AS serve_bars USING (openTimeUs)
    WHERE trades != tradeCount OR abs(volume - barVolume) > 1e-9 OR high != barHigh OR low != barLow OR open != barOpen OR close != barClose`);
  assert.equal(mismatched.n, '0');

  // The disconnect is in the gap ledger, and so is the id hole, both with their repair's outcome.
  const gaps = await rows<{ cause: string; state: string }>(`SELECT cause, state FROM ${database}.gaps FINAL WHERE symbol = '${symbol}' ORDER BY fromUs`);
  assert.deepEqual(gaps, [{ cause: 'ws_disconnect', state: 'filled' }, { cause: 'sequence_break', state: 'filled' }]);

  // serve read the live layer's gaps from md.gaps and wrote them on, but not back to it (nothing of its own to add).
  assert.equal(await messagesIn(env, gapsTopic), liveGaps);

  // The lake holds the same rows as ClickHouse FINAL: the same keys, each with the winning version.
  const lakeRows = await queryLake({ root: lake, latestOnly: true, sql: `SELECT tradeId::VARCHAR AS id, source, version::VARCHAR AS version FROM trades WHERE symbol = '${symbol}' ORDER BY tradeId` });
  assert.deepEqual(lakeRows, merged);
});

/** Runs `use` with a connected Kafka admin client. */
async function withAdmin<T>(env: NodeJS.ProcessEnv, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = createKafka({ brokers: (env.KAFKA_BROKERS ?? '').split(',') }).admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Messages in `topic` (the sum of its partitions' end offsets; nothing is deleted in a test's time). */
function messagesIn(env: NodeJS.ProcessEnv, topic: string): Promise<number> {
  return withAdmin(env, async (admin) => (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0));
}

/** Whether `group` committed every partition of `topic` at its end (what it read there was written everywhere). */
function readToEnd(env: NodeJS.ProcessEnv, group: string, topic: string): Promise<boolean> {
  return withAdmin(env, async (admin) => {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return ends.every((end) => end.high === '0' || committed?.partitions.find((p) => p.partition === end.partition)?.offset === end.high);
  });
}
