/**
 * `npm run bench -- replay`: `lakehouse replay` at archive scale, on a generated spot trades file of
 * `BENCH_REPLAY_ROWS` rows (default 2,000,000; 13,000,000 is the ~1 GB CSV of the memory target, generated once
 * into the temp directory and reused). Each measurement runs in a child process of its own, which reports its
 * events/s and peak RSS (`process.resourceUsage().maxRSS`, every thread included):
 * - into the lake, `--speed max`: the whole file held in memory first (how `replay` read archives before they
 *   were streamed) beside the streamed file through the server and the live client (`--via live`), and
 *   `--via archive` (the batch parser straight into the sinks); every trade id is checked to land once;
 * - `--serve` to one WebSocket client (a worker thread that counts frames, so server and client each have a
 *   core): the file held in memory beside the streamed one;
 * - with `BENCH_REPLAY_STREAM_CLIENT=1`, `lakehouse replay --serve` and `lakehouse stream` into a lake as two
 *   processes (each one's peak RSS; every id checked to land once), with the base's code too when given.
 * With `BENCH_REPLAY_BASE=<checkout>` each streamed mode is measured with that code too, right after ours, and
 * its figures printed beside ours. Server, client and sinks share the machine's two cores with whatever else
 * runs: a lower bound.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ensure, fileFor } from './archive.js';
import type { BenchResult } from './result.js';

const ROWS = Number(process.env.BENCH_REPLAY_ROWS ?? 2_000_000);
// One directory per row count: a file generated for another BENCH_REPLAY_ROWS is never reused under its name.
const ROOT = join(tmpdir(), `lakehouse-bench-replay-${ROWS}`);
const SERVE_TARGET = 250_000;
const LAKE_TARGET = 500_000;
const RSS_TARGET_MB = 400;
const CHILD = '--replay-child';

type Mode = 'memory' | 'live' | 'archive' | 'serve-memory' | 'serve-stream' | 'serve-lake';
interface Measured { events: number; seconds: number; rssMb: number; distinct?: number; clientRssMb?: number }

/**
 * `BENCH_REPLAY_BASE`: a checkout of the code to compare with (e.g. `git worktree add /tmp/base main`, with a
 * node_modules link); its own bench/replay.ts measures the same modes on the same file, right after ours.
 */
const BASE = process.env.BENCH_REPLAY_BASE;

/** Runs one measurement in a fresh child process (`base`: with the code of {@link BASE}). */
function inChild(mode: Mode, path: string, base?: string): Measured {
  const script = base === undefined ? fileURLToPath(import.meta.url) : join(base, 'bench', 'replay.ts');
  const child = spawnSync(process.execPath, [...process.execArgv, script, CHILD, mode, path], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24,
  });
  if (child.status !== 0) throw new Error(`replay bench ${mode} failed (exit ${child.status ?? child.signal})`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as Measured;
}

const rssMb = (): number => Math.round(process.resourceUsage().maxRSS / 1024);

/** Into a fresh lake at `--speed max`; the lake's distinct trade ids are counted after. */
async function intoLake(mode: 'memory' | 'live' | 'archive', path: string): Promise<Measured> {
  const lake = mkdtempSync(join(tmpdir(), 'bench-replay-lake-'));
  try {
    const started = performance.now();
    if (mode === 'memory') await inMemoryIntoLake(path, lake);
    else {
      const { replayCommand } = await import('../pipelines/replay.js');
      const argv = ['--market', 'spot', '--files', path, '--speed', 'max', '--sink', 'parquet', '--lake', lake, '--via', mode];
      const status = await replayCommand.run(argv, { env: {}, stdout: new PassThrough(), stderr: new PassThrough(), signal: new AbortController().signal });
      if (status !== 0) throw new Error(`replay exited ${status}`);
    }
    const seconds = (performance.now() - started) / 1000;
    const rss = rssMb();
    const { queryLake } = await import('../connectors/parquet/query-lake.js');
    const [row] = await queryLake({ root: lake, sql: 'SELECT count(*) AS n, count(DISTINCT tradeId) AS d FROM trades' });
    return { events: Number(row.n), distinct: Number(row.d), seconds, rssMb: rss };
  } finally {
    rmSync(lake, { recursive: true, force: true });
  }
}

/** The file held in memory, then played through the server and the live client into the lake. */
async function inMemoryIntoLake(path: string, lake: string): Promise<void> {
  const { feedFromArchiveFile } = await import('../connectors/binance-replay/archive-csv.js');
  const { startReplayServer } = await import('../connectors/binance-replay/replay-server.js');
  const { fromBinanceLive, newLiveStats } = await import('../connectors/binance-live/from-binance-live.js');
  const { FlowGate } = await import('../connectors/plumbing/flow-gate.js');
  const { runLive } = await import('../pipelines/live-run.js');
  const { toParquetLake } = await import('../connectors/parquet/to-parquet-lake.js');
  const feed = await feedFromArchiveFile(path, 'spot');
  const server = await startReplayServer({ feed, speed: Infinity, autoPlay: false, freshSnapshots: false });
  const stats = newLiveStats();
  const flow = new FlowGate();
  const stopSource = new AbortController();
  const source = fromBinanceLive({ market: 'spot', symbols: ['BTCUSDT'], types: ['trade'], wsUrl: server.wsUrl, restUrl: server.restUrl, stats, flow, stop: stopSource.signal });
  void server.waitForSubscribers(['btcusdt@trade']).then(() => server.play());
  const drained = server.finished.then(async () => {
    for (let last = -1; last !== stats.frames;) { last = stats.frames; await new Promise((r) => setTimeout(r, 300)); }
  });
  try {
    await runLive({ source, stopSource, sinks: [toParquetLake({ root: lake })], stats, flow, signal: new AbortController().signal, finished: drained, batches: { windowMs: 1000, maxRows: 10_000 } });
  } finally {
    await server.close();
  }
}

/** `--serve` at full speed to one client on a worker thread, which counts the frames. */
async function serveToClient(mode: 'serve-memory' | 'serve-stream', path: string): Promise<Measured> {
  const { feedFromArchiveFile } = await import('../connectors/binance-replay/archive-csv.js');
  const { archiveSource } = await import('../connectors/binance-replay/archive-stream.js');
  const { startReplayServer } = await import('../connectors/binance-replay/replay-server.js');
  const feed = mode === 'serve-memory' ? await feedFromArchiveFile(path, 'spot') : { market: 'spot' as const, events: [], snapshots: new Map<string, string>(), source: await archiveSource([path], 'spot') };
  const server = await startReplayServer({ feed, speed: Infinity, autoPlay: true });
  const entry = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const worker = new Worker(entry, { eval: true, workerData: { clientOf: `${server.wsUrl}/stream?streams=btcusdt@trade` } });
  const result = new Promise<{ frames: number; seconds: number }>((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
  await server.finished;
  worker.postMessage(server.stats.framesSent); // the client reports once it has them all
  const { frames, seconds } = await result;
  await worker.terminate();
  await server.close();
  return { events: frames, seconds, rssMb: rssMb() };
}

/** The client thread: counts frames, from the first to the last one the server sent (told once it finished). */
async function countFrames(url: string): Promise<void> {
  const { default: WebSocket } = await import('ws');
  const ws = new WebSocket(url);
  let frames = 0; let first = 0; let last = 0; let total = Infinity;
  const report = (): void => { ws.close(); parentPort!.postMessage({ frames, seconds: (last - first) / 1000 }); };
  ws.on('message', () => { last = performance.now(); if (frames++ === 0) first = last; if (frames === total) report(); });
  parentPort!.once('message', (sent: number) => { total = sent; if (frames >= total) report(); });
}

async function child(mode: Mode, path: string): Promise<void> {
  const measured = mode === 'serve-memory' || mode === 'serve-stream' ? await serveToClient(mode, path) : mode === 'serve-lake' ? await serveToStream(path) : await intoLake(mode, path);
  process.stdout.write(`\n${JSON.stringify(measured)}\n`);
  process.exit(0);
}

const rate = (m: Measured): number => Math.round(m.events / m.seconds);
const landed = (m: Measured): string => (m.distinct === undefined ? '' : `; ${m.distinct === ROWS && m.events === ROWS ? 'every id once' : `${m.events} rows, ${m.distinct} distinct ids of ${ROWS}`}`);

/** A `lakehouse` child process (from the sources), its output collected, its peak RSS read by /usr/bin/time. */
function lakehouse(args: readonly string[]): { interrupt: (signal: NodeJS.Signals) => void; out: () => string; rssMb: () => number; exited: Promise<number | null> } {
  const bin = fileURLToPath(new URL('../bin/lakehouse.mjs', import.meta.url));
  // Its own process group: /usr/bin/time ignores SIGINT, so Ctrl-C is sent to the group (see `interrupt`).
  const child = spawn('/usr/bin/time', ['-f', 'MAXRSS_KB=%M', process.execPath, bin, ...args], { env: { ...process.env, LAKEHOUSE_FROM_SOURCES: '1', KAFKA_BROKERS: '', CLICKHOUSE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let text = '';
  child.stdout.on('data', (c) => { text += String(c); });
  child.stderr.on('data', (c) => { text = (text + String(c)).slice(-1 << 20); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const interrupt = (signal: NodeJS.Signals): void => { try { process.kill(-(child.pid as number), signal); } catch { /* gone already */ } };
  return { interrupt, out: () => text, rssMb: () => Math.round(Number(/MAXRSS_KB=(\d+)/.exec(text)?.[1] ?? 0) / 1024), exited };
}

/**
 * `--max-backlog` of the stream client: a full-speed replay outruns the lake sink, so the client holds as many
 * records as its backlog allows (the default, 500,000, is more than the memory target holds).
 */
const STREAM_CLIENT_BACKLOG = 50_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `lakehouse replay --serve` in one process and `lakehouse stream` into a fresh lake in another, as a user
 * runs them: once the server has played every row and the client's written rows stop growing, the client
 * is stopped (Ctrl-C: it writes its last batch) and the lake's distinct trade ids are counted.
 */
async function serveToStream(path: string): Promise<Measured> {
  const lake = mkdtempSync(join(tmpdir(), 'bench-replay-stream-lake-'));
  const server = lakehouse(['replay', '--serve', '--market', 'spot', '--files', path, '--speed', 'max', '--port', '0']);
  let client: ReturnType<typeof lakehouse> | undefined;
  try {
    let url: string | undefined;
    for (let i = 0; i < 600 && url === undefined; i++) { await sleep(100); url = /WebSocket (ws:\/\/127\.0\.0\.1:\d+)/.exec(server.out())?.[1]; }
    if (url === undefined) throw new Error(`replay --serve did not start: ${server.out().slice(-2000)}`);
    const rest = url.replace('ws:', 'http:');
    const started = performance.now();
    client = lakehouse(['stream', '--market', 'spot', '--symbols', 'BTCUSDT', '--types', 'trades', '--ws-url', url, '--rest-url', rest, '--sink', 'parquet', '--lake', lake, '--progress-interval', '1s', '--json', '--max-backlog', String(STREAM_CLIENT_BACKLOG)]);
    const played = async (): Promise<number> => ((await (await fetch(`${rest}/_control/stats`)).json()) as { stats: { eventsPlayed: number } }).stats.eventsPlayed;
    const written = (): number => Math.max(0, ...[...(client?.out() ?? '').matchAll(/"rowsAcked":(\d+)/g)].map((m) => Number(m[1])));
    while (await played() < ROWS) await sleep(1000);
    for (let last = -1, same = 0; written() < ROWS && same < 10; await sleep(1000)) { const now = written(); same = now === last ? same + 1 : 0; last = now; }
    const seconds = (performance.now() - started) / 1000;
    client.interrupt('SIGINT');
    await client.exited;
    server.interrupt('SIGINT');
    await server.exited;
    const { queryLake } = await import('../connectors/parquet/query-lake.js');
    const [row] = await queryLake({ root: lake, sql: 'SELECT count(*) AS n, count(DISTINCT tradeId) AS d FROM trades' });
    return { events: Number(row.n), distinct: Number(row.d), seconds, rssMb: server.rssMb(), clientRssMb: client.rssMb() };
  } finally {
    server.interrupt('SIGKILL');
    client?.interrupt('SIGKILL');
    rmSync(lake, { recursive: true, force: true });
  }
}

/** The replay benchmark (see the file comment). */
export async function benchReplay(): Promise<BenchResult[]> {
  const file = fileFor('trades', '2025-07-01');
  const path = await ensure(ROOT, file, ROWS);
  const rows = `${ROWS.toLocaleString('en-US')} trades`;
  const results: BenchResult[] = [];
  // Ours, then the base's on the same file (BENCH_REPLAY_BASE), back to back; the base's figures in the note.
  const measure = (mode: Mode): { m: Measured; vs: string } => {
    const m = inChild(mode, path);
    if (BASE === undefined) return { m, vs: '' };
    const b = inChild(mode, path, BASE);
    return { m, vs: `; base (${BASE}): ${rate(b).toLocaleString('en-US')} events/s, peak RSS ${b.rssMb} MB${landed(b)}, load ${loadavg()[0].toFixed(1)}` };
  };
  const lake = (label: string, { m, vs }: { m: Measured; vs: string }, target?: number): void => {
    results.push({ name: `replay → lake: ${label}`, value: rate(m), unit: 'events/s', target, ratio: target === undefined ? undefined : rate(m) / target, note: `${rows} in ${m.seconds.toFixed(1)} s${landed(m)}${vs}` });
    results.push({ name: `replay → lake: ${label}, peak RSS`, value: m.rssMb, unit: 'MB', target: RSS_TARGET_MB, ratio: RSS_TARGET_MB / m.rssMb });
  };
  // Reading the whole file into memory grows with the file: not run on files it cannot hold.
  if (ROWS <= 3_000_000) lake('file held in memory (as before)', { m: inChild('memory', path), vs: '' });
  lake('streamed, via live client', measure('live'));
  lake('streamed, --via archive', measure('archive'), LAKE_TARGET);
  const serve = (label: string, { m, vs }: { m: Measured; vs: string }, target?: number): void => {
    results.push({ name: `replay --serve → 1 client: ${label}`, value: rate(m), unit: 'events/s', target, ratio: target === undefined ? undefined : rate(m) / target, note: `${m.events} frames in ${m.seconds.toFixed(1)} s; peak RSS ${m.rssMb} MB (server and client thread)${vs}` });
  };
  if (ROWS <= 3_000_000) serve('file held in memory', { m: inChild('serve-memory', path), vs: '' });
  serve('streamed', measure('serve-stream'), SERVE_TARGET);
  if (process.env.BENCH_REPLAY_STREAM_CLIENT === '1') {
    const m = inChild('serve-lake', path);
    const b = BASE === undefined ? undefined : inChild('serve-lake', path, BASE);
    const vs = (value: (of: Measured) => string): string => (b === undefined ? '' : `; base (${BASE}): ${value(b)}`);
    results.push({ name: 'replay --serve → lakehouse stream → lake (two processes)', value: rate(m), unit: 'events/s', note: `${rows} in ${m.seconds.toFixed(1)} s${landed(m)}${vs((o) => `${rate(o).toLocaleString('en-US')} events/s${landed(o)}`)}` });
    results.push({ name: 'replay --serve → lakehouse stream → lake: server peak RSS', value: m.rssMb, unit: 'MB', target: RSS_TARGET_MB, ratio: RSS_TARGET_MB / m.rssMb, note: vs((o) => `${o.rssMb} MB`).slice(2) });
    results.push({ name: 'replay --serve → lakehouse stream → lake: client peak RSS', value: m.clientRssMb ?? 0, unit: 'MB', target: RSS_TARGET_MB, ratio: RSS_TARGET_MB / (m.clientRssMb ?? 1), note: vs((o) => `${o.clientRssMb ?? 0} MB`).slice(2) });
  }
  return results;
}

if (isMainThread && process.argv[2] === CHILD) await child(process.argv[3] as Mode, process.argv[4]);
if (!isMainThread && typeof (workerData as { clientOf?: unknown } | null)?.clientOf === 'string') await countFrames((workerData as { clientOf: string }).clientOf);
