/**
 * `lakehouse replay`: plays archive files (trades, aggTrades, klines) or captured traffic (`*.ws.1.0` with
 * its `*.http.0.0` snapshots) as a Binance-compatible feed. Archive files are read as they are played (a
 * bounded look-ahead; REST history from marks kept while playing), so a month of trades replays in the memory
 * of a day's; captures are held in memory. `--serve` runs the WebSocket + REST server until
 * Ctrl-C (faults on demand: `POST /_control/drop|stall|malformed|ratelimit?count=&retryAfter=|hole?count=|restfail?answer=401|503|empty&count=&path=`);
 * without `--serve` the feed goes through the live client into the sinks (Kafka, or the lake) as fast as
 * `--speed` allows, and the command ends when the feed has been played and written; `--via archive` feeds the
 * sinks from the batch layer's parser instead (replay-archive.ts: at full speed through backfill's dataflow).
 */
import { readFileSync } from 'node:fs';
import { fromBinanceLive, newLiveStats } from '../connectors/binance-live/from-binance-live.js';
import { LIVE_MARKETS, type LiveMarket } from '../connectors/binance-live/live-context.js';
import { liveStream, parseLiveStreamType, type LiveStreamType } from '../connectors/binance-live/live-streams.js';
import { archiveSource } from '../connectors/binance-replay/archive-stream.js';
import { exchangeInfoFromCapture, feedFromCapture, type ReplayFeed } from '../connectors/binance-replay/replay-feed.js';
import { startReplayServer, type ReplayServer } from '../connectors/binance-replay/replay-server.js';
import { RestLimiter } from '../connectors/binance-live/rest-limiter.js';
import { FlowGate } from '../connectors/plumbing/flow-gate.js';
import { ConfigError, ConnectorError } from '../schemas/errors.js';
import type { Command, CommandContext } from './command.js';
import { resolveConfig, type OptionSpec, type ResolvedConfig } from './config.js';
import { LIVE_SINK_OPTIONS, buildLiveSinks } from './live-options.js';
import { formatLiveReport, runLive } from './live-run.js';
import { archiveFileOf, loadArchiveFiles, replayArchiveRecords } from './replay-archive.js';
import { formatReport } from './backfill-report.js';
import { OPS_OPTIONS } from './ops-options.js';
import { liveCheck } from './readiness-checks.js';
import { startRunOps, type RunOps } from './run-ops.js';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'serve', type: 'boolean', doc: 'Serve the feed over WebSocket + REST until Ctrl-C (else: into the sinks)', default: false },
  { name: 'market', type: 'string', doc: 'Market of the files', choices: LIVE_MARKETS, default: 'spot' },
  { name: 'files', type: 'list', doc: 'Archive files (.zip or .csv): <SYMBOL>-trades|aggTrades|<interval>-<date>', placeholder: 'A.zip,B.zip', check: 'file' },
  { name: 'capture', type: 'string', doc: 'Captured WebSocket traffic (*.ws.1.0)', placeholder: 'FILE', check: 'file' },
  { name: 'http', type: 'string', doc: 'Captured REST traffic for depth snapshots (*.http.0.0)', placeholder: 'FILE', check: 'file' },
  { name: 'exchangeInfo', type: 'string', doc: 'REST capture or JSON file holding exchangeInfo (default: synthesised)', placeholder: 'FILE', check: 'file' },
  { name: 'speed', type: 'string', doc: 'Speed factor: 1 = real time, N = N× faster, max = as fast as possible', default: '1' },
  { name: 'rate', type: 'number', doc: 'Events per second at an even pace instead of the recorded one (a constant load; replaces --speed)', placeholder: 'N', above: 0 },
  { name: 'port', type: 'number', doc: 'Port to serve on (0 = any free port)', default: 0, integer: true, min: 0, max: 65535 },
  { name: 'loop', type: 'boolean', doc: 'Play the feed again and again (ids and times shifted per lap)', default: false },
  { name: 'via', type: 'string', doc: 'Without --serve: live = through the server and the live client (its parsing, gaps and repairs tested); archive = archive zips straight into the sinks, no server and no JSON (--speed max: loaded as backfill loads them, with its report and exit status; --rate N: played as records at that pace)', choices: ['live', 'archive'], default: 'live', ownEnv: 'LAKEHOUSE_REPLAY_VIA' },
  { name: 'lookAhead', type: 'number', doc: 'Archive events read ahead of the replay clock at most (memory does not grow with the files; at --speed max 2048 at most)', default: 16384, integer: true, min: 1024 },
  ...LIVE_SINK_OPTIONS,
  ...OPS_OPTIONS,
];

/** The feed: archive files streamed (a capture's events merged in), or a capture alone, held in memory. */
async function loadFeed(config: ResolvedConfig): Promise<ReplayFeed> {
  const market = config.market as LiveMarket;
  const files = (config.files as readonly string[] | undefined) ?? [];
  const info = typeof config.exchangeInfo === 'string' ? readFileSync(config.exchangeInfo, 'utf8') : undefined;
  const exchangeInfo = info === undefined ? undefined : info.trimStart().startsWith('{') ? info : exchangeInfoFromCapture(info);
  let captured: ReplayFeed | undefined;
  if (typeof config.capture === 'string') {
    const http = typeof config.http === 'string' ? readFileSync(config.http, 'utf8') : undefined;
    captured = feedFromCapture(market, readFileSync(config.capture, 'utf8'), http, exchangeInfo);
  }
  if (files.length === 0 && captured === undefined) throw new ConfigError('lakehouse replay: give --files and/or --capture');
  if (files.length === 0) return { ...(captured as ReplayFeed), exchangeInfo };
  const source = await archiveSource(files, market, captured?.events ?? []);
  return { market, events: [], snapshots: captured?.snapshots ?? new Map(), exchangeInfo, source };
}

function speedOf(text: string): number {
  if (text === 'max' || text === 'inf' || text === 'Infinity') return Infinity;
  const speed = Number(text);
  if (!Number.isFinite(speed) || speed <= 0) throw new ConfigError(`lakehouse replay: --speed must be a positive number or max; got ${JSON.stringify(text)}`);
  return speed;
}

/** Symbols and data types present in a feed, for the live client. */
export function streamsOfFeed(feed: ReplayFeed): { symbols: string[]; types: LiveStreamType[] } {
  const symbols = new Set<string>();
  const types = new Set<LiveStreamType>();
  for (const stream of feed.source?.streams ?? new Set(feed.events.map((e) => e.stream))) {
    const [head, type] = stream.split('@');
    if (head.startsWith('!') || type === undefined) continue;
    symbols.add(head.toUpperCase());
    types.add(parseLiveStreamType(type.startsWith('depth') ? 'depth' : type.replace(/^kline_/, 'klines:'), feed.market));
  }
  return { symbols: [...symbols], types: [...types] };
}

async function serve(server: ReplayServer, context: CommandContext, ops: RunOps): Promise<number> {
  ops.metrics.watchReplay(server.stats);
  context.stdout.write([
    `replay server: WebSocket ${server.wsUrl} (/stream?streams=…, /ws, /public/…, /market/…), REST ${server.restUrl} (/api/v3, /fapi/v1, /dapi/v1)`,
    `faults: curl -X POST ${server.restUrl}/_control/drop | stall | malformed | ratelimit?count=3&retryAfter=2 | hole?count=5 | restfail?answer=401&count=3&path=/historicalTrades`,
    `try:    lakehouse stream --ws-url ${server.wsUrl} --rest-url ${server.restUrl} --market … --symbols … --types …`,
    '',
  ].join('\n'));
  // Ends at Ctrl-C, or when a file turns out unreadable mid-play (a CRC-32 mismatch shows at the member's end).
  const failure = await new Promise<unknown>((resolve) => {
    if (context.signal.aborted) resolve(undefined); else context.signal.addEventListener('abort', () => resolve(undefined), { once: true });
    server.finished.catch((error: unknown) => resolve(error));
  });
  context.stdout.write(`served: ${JSON.stringify(server.stats)}; faults injected: ${JSON.stringify(server.faults.injected)}\n`);
  if (failure !== undefined) throw failure;
  return 0;
}

async function intoSinks(server: ReplayServer, feed: ReplayFeed, config: ResolvedConfig, context: CommandContext, ops: RunOps): Promise<number> {
  const { symbols, types } = streamsOfFeed(feed);
  const stats = newLiveStats();
  const flow = new FlowGate();
  const stopSource = new AbortController();
  const limiter = new RestLimiter();
  const source = fromBinanceLive({ market: feed.market, symbols, types, wsUrl: server.wsUrl, restUrl: server.restUrl, stats, flow, limiter, stop: stopSource.signal, onConnection: (event) => ops.logConnection(event) });
  ops.metrics.watchLive(stats, limiter.stats);
  ops.metrics.watchReplay(server.stats);
  ops.ready(liveCheck(stats, flow));
  void server.waitForSubscribers(symbols.flatMap((s) => types.map((t) => liveStream(t, s).name))).then(() => server.play());
  let failure: unknown;
  const played = server.finished.catch((error: unknown) => { failure = error; });
  const drained = played.then(async () => {
    for (let last = -1; last !== stats.frames;) { last = stats.frames; await new Promise((r) => setTimeout(r, 300)); }
  });
  const { sinks, close } = await buildLiveSinks(config, ops.sinkHooks);
  try {
    const report = await runLive({
      source: source.pipe(ops.metrics.countRecords()), stopSource, sinks, stats, flow, maxBacklogRecords: config.maxBacklog as number, signal: context.signal, finished: drained,
      ...(ops.progressMs === undefined ? {} : { progress: ops.progress, progressIntervalMs: ops.progressMs }), batches: { windowMs: config.batchMs as number, maxRows: config.batchRows as number },
    });
    if (failure !== undefined) throw failure;
    context.stdout.write(config.json === true ? JSON.stringify(report) + '\n' : formatLiveReport(report) + '\n');
    return 0;
  } finally {
    await close();
  }
}

/** Records `--via archive --rate` reads ahead of the sinks at most (or `--max-backlog`, when lower). */
const ARCHIVE_BACKLOG = 50_000;

/** `--via archive`: the zips straight into the sinks, loaded as a backfill loads them, or played as records at `--rate` (replay-archive.ts). */
async function viaArchive(config: ResolvedConfig, speed: number, rate: number | undefined, context: CommandContext): Promise<number> {
  if (typeof config.capture === 'string' || config.serve === true || config.loop === true) throw new ConfigError('lakehouse replay --via archive: archive --files into the sinks only (no --capture, --serve or --loop)');
  if (Number.isFinite(speed) && rate === undefined) throw new ConfigError('lakehouse replay --via archive: --speed max or --rate N (a recorded pace needs the live path, --via live)');
  const paths = (config.files as readonly string[] | undefined) ?? [];
  if (paths.length === 0) throw new ConfigError('lakehouse replay --via archive: give --files');
  const market = config.market as LiveMarket;
  const built = await buildLiveSinks(config);
  try {
    if (rate === undefined) {
      const report = await loadArchiveFiles(paths, market, built, context.signal);
      const failed = report.files.find((f) => f.status === 'failed');
      if (failed !== undefined) throw new ConnectorError(`lakehouse replay --via archive: ${failed.key}: ${failed.reason}`, { file: failed.key }, { retriable: false });
      const kinds = [...new Set(paths.map((path) => archiveFileOf(path, market).kind))].join('+');
      context.stdout.write(config.json === true ? JSON.stringify(report) + '\n' : `records: ${kinds} ${report.rows}\n${formatReport(report)}\nvia archive: the zips loaded into the sinks as a backfill loads them (no server, no live client)\n`);
      return report.exitCode;
    }
    const stats = newLiveStats();
    const flow = new FlowGate();
    const stopSource = new AbortController();
    const source = replayArchiveRecords({ paths, market, rate, flow, stats, stop: stopSource.signal });
    // The parser waits for the sinks at once (no socket to drain): a short backlog keeps memory down.
    const maxBacklogRecords = Math.min(config.maxBacklog as number, ARCHIVE_BACKLOG);
    const report = await runLive({ source, stopSource, sinks: built.sinks, stats, flow, maxBacklogRecords, signal: context.signal, progress: context.stderr, batches: { windowMs: config.batchMs as number, maxRows: config.batchRows as number } });
    context.stdout.write(config.json === true ? JSON.stringify(report) + '\n' : `${formatLiveReport(report)}\nvia archive: records parsed from the zips straight into the sinks (no server, no live client)\n`);
    return 0;
  } finally {
    await built.close();
  }
}

async function run(argv: readonly string[], context: CommandContext): Promise<number> {
  const { config } = resolveConfig('replay', OPTIONS, argv, context.env);
  const speed = speedOf(config.speed as string);
  const rate = config.rate as number | undefined;
  if (config.via === 'archive') return viaArchive(config, speed, rate, context);
  const feed = await loadFeed(config);
  const server = await startReplayServer({ feed, speed, rate, port: config.port as number, loop: config.loop === true, pingIntervalMs: 20_000, autoPlay: config.serve === true, freshSnapshots: config.serve === true, lookAhead: config.lookAhead as number });
  let ops: RunOps | undefined;
  try {
    ops = await startRunOps('replay', config, context);
    return config.serve === true ? await serve(server, context, ops) : await intoSinks(server, feed, config, context, ops);
  } finally {
    await server.close();
    await ops?.close();
  }
}

/** The `replay` command. */
export const replayCommand: Command = {
  name: 'replay',
  usage: 'replay --serve --market spot --files BTCUSDT-trades-2025-07-01.zip [--capture X.ws.1.0 --http X.http.0.0] [--speed 1|N|max | --rate EVENTS_PER_S] [--port 9443] [--loop] [--metrics-port PORT]\n  replay --market cm --files BTCUSD_PERP-aggTrades-2026-05-08.zip --speed max [--sink kafka|parquet] [--via live|archive]',
  options: OPTIONS,
  run,
};
