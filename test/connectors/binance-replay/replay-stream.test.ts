import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tap } from 'rxjs';
import WebSocket from 'ws';
import { fromBinanceLive } from '../../../connectors/binance-live/from-binance-live.js';
import { eventsFromArchiveCsv, describeArchiveFile } from '../../../connectors/binance-replay/archive-csv.js';
import { archiveSource } from '../../../connectors/binance-replay/archive-stream.js';
import type { Payload, ReplayFeed } from '../../../connectors/binance-replay/replay-feed.js';
import { startReplayServer, type ReplayServer, type ReplayServerOptions } from '../../../connectors/binance-replay/replay-server.js';
import { openZipEntry, readZipDirectory } from '../../../connectors/binance-archive/unzip.js';
import { parseTypeRequests, planArchiveFiles } from '../../../connectors/binance-archive/plan.js';
import type { AnyRecord } from '../../../schemas/records.js';
import { writeArchiveFile } from '../../support/archive-mirror.js';
import { collectUntilAll, isSettledGap } from '../binance-live/live-harness.js';

const root = mkdtempSync(join(tmpdir(), 'replay-stream-'));
const servers: ReplayServer[] = [];
after(async () => { await Promise.all(servers.map((s) => s.close())); rmSync(root, { recursive: true, force: true }); });

/** Writes the generated spot archive of `type` (`trades`, `aggTrades`, `klines:1s`) for 2025-07-01 with `rows` rows (klines: the first `rows`). */
async function archive(type: string, rows: number): Promise<string> {
  const [file] = planArchiveFiles({ markets: ['spot'], symbols: ['BTCUSDT'], types: parseTypeRequests([type]), fromDay: '2025-07-01', toDay: '2025-07-01', nowUs: Date.UTC(2026, 10, 1) * 1000 });
  return (await writeArchiveFile(join(root, type.replace(':', '-')), file, { eventsPerDay: rows, maxRows: rows })).path;
}

/** The REST rows of a zip, read whole (the expected answers). */
async function rowsOf(path: string): Promise<(Payload | unknown[])[]> {
  const [entry] = await readZipDirectory(path, readFileSync(path).length);
  const chunks: Buffer[] = [];
  for await (const chunk of await openZipEntry(path, entry)) chunks.push(chunk as Buffer);
  return eventsFromArchiveCsv(Buffer.concat(chunks).toString('latin1'), 'spot', describeArchiveFile(path)).map((e) => e.restRow as Payload | unknown[]);
}

async function streamedServer(paths: string[], options: Partial<ReplayServerOptions> = {}): Promise<ReplayServer> {
  const feed: ReplayFeed = { market: 'spot', events: [], snapshots: new Map(), source: await archiveSource(paths, 'spot') };
  const server = await startReplayServer({ feed, speed: Infinity, autoPlay: false, ...options });
  servers.push(server);
  return server;
}

/** Subscribes to `stream` over a combined connection and collects the payloads until `until` holds (or the feed ends). */
async function collect(server: ReplayServer, stream: string, until: (data: Payload) => boolean): Promise<Payload[]> {
  const ws = new WebSocket(`${server.wsUrl}/stream?streams=${stream}`);
  const got: Payload[] = [];
  let ended = false;
  const done = new Promise<void>((resolve) => {
    ws.on('message', (raw) => {
      if (ended) return;
      const data = (JSON.parse(String(raw)) as { data: Payload }).data;
      got.push(data);
      if (until(data)) { ended = true; resolve(); }
    });
    void server.finished.then(() => setTimeout(resolve, 200));
  });
  await new Promise((resolve) => ws.once('open', resolve));
  server.play();
  await done;
  ws.close();
  return got;
}

const get = async (server: ReplayServer, path: string): Promise<unknown[]> => (await fetch(`${server.restUrl}${path}`)).json() as Promise<unknown[]>;

describe('replay server, archives streamed', () => {
  let trades = '';
  let aggTrades = '';
  let klines = '';
  before(async () => {
    trades = await archive('trades', 20_000);
    aggTrades = await archive('aggTrades', 6_000);
    klines = await archive('klines:1s', 5_000);
  });

  it('plays every row of a file once, in order, with a look-ahead that stays within its bound (memory does not grow with the file)', async () => {
    const server = await streamedServer([trades], { lookAhead: 1024 });
    const expected = (await rowsOf(trades)).map((r) => (r as Payload).id as number);
    const got = await collect(server, 'btcusdt@trade', (d) => d.t === expected.at(-1));
    assert.deepEqual(got.map((d) => d.t), expected);
    const { peak, limit } = server.reading;
    assert.ok(peak > 0 && peak <= limit, `look-ahead peaked at ${peak} events, bound ${limit}`);
    assert.ok(limit <= expected.length / 5, 'the bound is a small part of the file');
  });

  it('answers REST history at the start, middle and end of the file and past it, re-reading the archive for old rows', async () => {
    const server = await streamedServer([trades, aggTrades, klines], { history: { recentRows: 1500, markEvery: 256 } });
    await collect(server, 'btcusdt@trade', () => false);
    const tradeRows = (await rowsOf(trades)) as Payload[];
    const aggRows = (await rowsOf(aggTrades)) as Payload[];
    const klineRows = (await rowsOf(klines)) as unknown[][];
    for (const at of [0, 1, 10_000, 19_000, 19_990]) {
      const fromId = tradeRows[at].id as number;
      assert.deepEqual(await get(server, `/api/v3/historicalTrades?symbol=BTCUSDT&fromId=${fromId}&limit=50`), tradeRows.slice(at, at + 50), `historicalTrades from row ${at}`);
    }
    assert.deepEqual(await get(server, `/api/v3/historicalTrades?symbol=BTCUSDT&fromId=${(tradeRows.at(-1)!.id as number) + 1}`), []);
    assert.ok(server.reading.rereadRows > 0, 'old rows came from the archive');
    for (const at of [0, 3_000, 5_999]) {
      assert.deepEqual(await get(server, `/api/v3/aggTrades?symbol=BTCUSDT&fromId=${aggRows[at].a as number}&limit=20`), aggRows.slice(at, at + 20));
      assert.deepEqual(await get(server, `/api/v3/aggTrades?symbol=BTCUSDT&startTime=${aggRows[at].T as number}&limit=20`), aggRows.slice(aggRows.findIndex((r) => (r.T as number) >= (aggRows[at].T as number))).slice(0, 20));
    }
    assert.deepEqual(await get(server, `/api/v3/aggTrades?symbol=BTCUSDT&startTime=${(aggRows.at(-1)!.T as number) + 1}`), []);
    for (const at of [0, 2_500, 4_990]) {
      const start = klineRows[at][0] as number;
      assert.deepEqual(await get(server, `/api/v3/klines?symbol=BTCUSDT&interval=1s&startTime=${start}&endTime=${start + 9_999}`), klineRows.slice(at, at + 10));
    }
    assert.deepEqual(await get(server, `/api/v3/klines?symbol=BTCUSDT&interval=1s&startTime=${(klineRows.at(-1)![0] as number) + 1}`), []);
    assert.deepEqual(await get(server, '/api/v3/trades?symbol=BTCUSDT&limit=3'), tradeRows.slice(-3));
  });

  it('shows history only up to the last row played', async () => {
    const server = await streamedServer([trades], { history: { recentRows: 1500, markEvery: 256 } });
    const rows = (await rowsOf(trades)) as Payload[];
    server.pauseAt(5_000);
    await collect(server, 'btcusdt@trade', (d) => d.t === rows[4_999].id);
    assert.deepEqual(await get(server, `/api/v3/historicalTrades?symbol=BTCUSDT&fromId=${rows[4_990].id as number}&limit=100`), rows.slice(4_990, 5_000));
    assert.deepEqual(await get(server, `/api/v3/historicalTrades?symbol=BTCUSDT&fromId=${rows[100].id as number}&limit=5`), rows.slice(100, 105));
  });

  it('loops a streamed file: each lap reads it again, ids shifted by the lap span', async () => {
    const server = await streamedServer([aggTrades], { loop: true, lookAhead: 1024 });
    const rows = (await rowsOf(aggTrades)) as Payload[];
    const span = (rows.at(-1)!.a as number) - (rows[0].a as number) + 1;
    const got = await collect(server, 'btcusdt@aggTrade', (d) => d.a === (rows[99].a as number) + 2 * span);
    const ids = got.map((d) => d.a as number);
    assert.equal(ids.length, 2 * rows.length + 100);
    ids.forEach((id, i) => assert.equal(id, (rows[i % rows.length].a as number) + Math.floor(i / rows.length) * span));
    assert.ok(server.reading.peak <= server.reading.limit);
  });

  it('injects faults into a streamed feed at full speed: the live client repairs a hole and a dropped connection from the history, every id once', { timeout: 120_000 }, async () => {
    const server = await streamedServer([aggTrades], { autoPlay: true, lookAhead: 1024, history: { recentRows: 1500, markEvery: 256 } });
    const expected = ((await rowsOf(aggTrades)) as Payload[]).map((r) => r.a as number);
    // The feed stops at its 3,000th event until the client has it; the connection is then dropped and the rest played.
    server.pauseAt(3000);
    let seen = 0;
    const live = fromBinanceLive({ market: 'spot', symbols: ['BTCUSDT'], types: ['aggTrade'], wsUrl: server.wsUrl, restUrl: server.restUrl, pingIntervalMs: 50, stallTimeoutMs: 2000, reconnectBaseDelayMs: 10, reconnectMaxDelayMs: 50 })
      .pipe(tap((r) => {
        if (r.kind !== 'aggTrade') return;
        if (++seen === 1000) server.faults.hole(7);
        if (r.aggTradeId === expected[2999]) { server.faults.drop(); server.pauseAt(Infinity); }
      }));
    const settled = (n: number) => { let count = 0; return (r: AnyRecord): boolean => isSettledGap(r) && ++count >= n; };
    const records = await collectUntilAll(live, [(r) => r.kind === 'aggTrade' && r.aggTradeId === expected.at(-1), settled(2)]);
    assert.deepEqual(records.flatMap((r) => (r.kind === 'aggTrade' ? [r.aggTradeId] : [])), expected);
    assert.equal(server.faults.injected.holeEvents, 7);
    assert.equal(server.faults.injected.drops, 1);
  });
});
