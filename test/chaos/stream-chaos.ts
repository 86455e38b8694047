/**
 * Chaos for `lakehouse stream` (a child process) against the replay server, which plays real COIN-M aggTrades
 * (the repository's fixture) at an even rate as a Binance-compatible WebSocket + REST server: a malformed
 * frame and a stalled connection at seeded points (the stream must notice, reconnect and repair the hole over
 * REST), and kill -9 at a seeded point followed by a restart and `lakehouse gaps --fill rest` (the operator's
 * repair for what was played while no process listened). Each ends comparing the lake with the ids played.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { startReplayServer, type ReplayServer } from '../../connectors/binance-replay/replay-server.js';
import { queryLake } from '../../connectors/parquet/query-lake.js';
import { cmAggTradeEvents, cmFeed } from '../connectors/binance-live/live-harness.js';
import type { ChaosLog, ChaosRow } from '../support/chaos-log.js';
import { lakehouseChild, type LakehouseChild } from '../support/lakehouse-child.js';
import { tempDir } from '../pipelines/backfill-support.js';

const EVENTS = 12_000;
const RATE = 300; // events per second: 40 s of feed

async function replay(t: TestContext): Promise<{ server: ReplayServer; ids: number[] }> {
  const events = cmAggTradeEvents(EVENTS);
  const server = await startReplayServer({ feed: cmFeed(events), rate: RATE });
  t.after(() => server.close());
  return { server, ids: events.map((e) => (e.data as { a: number }).a) };
}

function stream(server: ReplayServer, lake: string): LakehouseChild {
  return lakehouseChild(['stream', '--market', 'cm', '--symbols', 'BTCUSD_PERP', '--types', 'aggTrades', '--ws-url', server.wsUrl,
    '--rest-url', server.restUrl, '--sink', 'parquet', '--lake', lake, '--batch-ms', '200']);
}

async function whenPlayed(server: ReplayServer, events: number): Promise<void> {
  while (server.stats.eventsPlayed < events) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Waits until the feed ended and the lake holds its last id (at most `patienceS` more), then stops the stream with SIGTERM (status 0). */
async function finish(server: ReplayServer, child: LakehouseChild, lake: string, lastId: number, patienceS: number): Promise<void> {
  await server.finished;
  const maxId = async (): Promise<number> => Number((await queryLake({ root: lake, sql: 'SELECT coalesce(max(aggTradeId), 0) AS n FROM aggTrades' }).catch(() => [{ n: 0 }]))[0].n);
  for (let waited = 0; waited < patienceS && await maxId() < lastId; waited++) await new Promise((resolve) => setTimeout(resolve, 1000));
  child.child.kill('SIGTERM');
  assert.equal(await child.exit, 0, child.output().slice(-2000));
}

/** The lake's aggTrade ids compared with those played: every one once (rows, distinct ids, missing, extra). */
async function compare(lake: string, ids: readonly number[]): Promise<{ rows: number; missing: number; extra: number }> {
  const [row] = await queryLake({ root: lake, sql: `SELECT count(*) AS n, count(DISTINCT aggTradeId) AS d,
    count(DISTINCT aggTradeId) FILTER (WHERE aggTradeId BETWEEN ${ids[0]} AND ${ids.at(-1)}) AS inside FROM aggTrades` });
  const rows = Number(row.n);
  assert.equal(Number(row.d), rows, 'no aggTrade stored twice');
  return { rows, missing: ids.length - Number(row.inside), extra: rows - Number(row.inside) };
}

/** A malformed frame and a stalled connection at seeded points of the feed. */
export async function streamFeedFaults(t: TestContext, log: ChaosLog, row: ChaosRow): Promise<void> {
  const { server, ids } = await replay(t);
  const lake = await tempDir('chaos-stream-faults');
  const child = stream(server, lake);
  t.after(() => child.child.kill('SIGKILL'));
  const malformedAt = Math.round(log.between(0.05, 0.3) * EVENTS);
  const stallAt = Math.round(log.between(0.35, 0.7) * EVENTS);
  await whenPlayed(server, malformedAt);
  server.faults.malformed();
  await whenPlayed(server, stallAt);
  server.faults.stall();
  row.injected = `malformed after ${malformedAt} events, stall after ${stallAt} (of ${EVENTS})`;
  await finish(server, child, lake, ids.at(-1) as number, 180);
  const { rows, missing, extra } = await compare(lake, ids);
  const gaps = await queryLake({ root: lake, sql: 'SELECT cause, state, count(*) AS n FROM gaps GROUP BY cause, state ORDER BY cause, state' }).catch(() => []);
  const gapText = gaps.map((g) => `${g.cause}/${g.state} ×${g.n}`).join(', ') || 'none';
  row.outcome = `SIGTERM → exit 0; lake: ${rows} aggTrades, each once, ${missing} of the played ids missing, ${extra} extra; gaps: ${gapText}`;
  assert.deepEqual({ missing, extra }, { missing: 0, extra: 0 });
}

/** Rows of the lake's aggTrades now (0 before its first write). */
async function lakeRows(lake: string): Promise<number> {
  return Number((await queryLake({ root: lake, sql: 'SELECT count(*) AS n FROM aggTrades' }).catch(() => [{ n: 0 }]))[0].n);
}

/**
 * kill -9 of `stream` once a seeded number of rows is in the lake, a restart, and `lakehouse gaps --fill rest`
 * over the day afterwards. Killing at a point among the rows written (not after a number of events played)
 * leaves the hole between rows the lake holds, where `gaps` sees it, also when the machine is slow to write.
 */
export async function streamKill(t: TestContext, log: ChaosLog, row: ChaosRow): Promise<void> {
  const { server, ids } = await replay(t);
  const lake = await tempDir('chaos-stream-kill');
  const first = stream(server, lake);
  t.after(() => first.child.kill('SIGKILL'));
  const killAtRows = Math.round(log.between(0.1, 0.6) * EVENTS);
  const downFor = Math.round(log.between(0.02, 0.1) * EVENTS);
  let written = 0;
  while ((written = await lakeRows(lake)) < killAtRows) {
    if (first.child.exitCode !== null) assert.fail(`stream exited with status ${first.child.exitCode} before the kill: ${first.output().slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  first.child.kill('SIGKILL');
  await first.exit;
  // The feed pauses after the events played while no process listens, so that what the restarted process
  // misses does not depend on how long it takes to start.
  const killedAt = server.stats.eventsPlayed;
  const resumeAt = Math.min(EVENTS, killedAt + downFor);
  server.pauseAt(resumeAt);
  await whenPlayed(server, resumeAt);
  row.injected = `SIGKILL once ${written} of ${EVENTS} rows were in the lake (seeded point: ${killAtRows}; ${killedAt} events played); ${resumeAt - killedAt} events played before the restart`;
  const connections = server.stats.connections;
  const second = stream(server, lake);
  t.after(() => second.child.kill('SIGKILL'));
  while (server.stats.connections === connections) await new Promise((resolve) => setTimeout(resolve, 50));
  await new Promise((resolve) => setTimeout(resolve, 1000)); // its SUBSCRIBE
  server.pauseAt(Infinity);
  await finish(server, second, lake, ids.at(-1) as number, 60);
  const before = await compare(lake, ids);
  const gaps = lakehouseChild(['gaps', '--market', 'cm', '--symbol', 'BTCUSD_PERP', '--type', 'aggTrades', '--from', '2026-05-08',
    '--fill', 'rest', '--rest-url', server.restUrl, '--lake', lake]);
  const status = await gaps.exit;
  const after = await compare(lake, ids);
  row.outcome = `after the restart: ${before.missing} ids missing; \`gaps --fill rest\` exit ${status}: ${after.missing} missing, ${after.extra} extra, each once`;
  assert.deepEqual({ missing: after.missing, extra: after.extra }, { missing: 0, extra: 0 }, `the restarted stream:\n${second.stdout()}\ngaps:\n${gaps.output().slice(-2000)}`);
}
