/**
 * `lakehouse stream`: live Binance data (raw WebSocket client, or `--via ccxt`) → batches → Kafka topics
 * (Avro) when Kafka is configured, else the embedded path into the Parquet lake. `--ws-url/--rest-url` point
 * it at any Binance-compatible server (e.g. `lakehouse replay --serve`). Log lines (progress every
 * `--progress-interval`, every lost connection and retry) on stderr, metrics and health on `--metrics-port`
 * (pipelines/run-ops.ts); Ctrl-C (or `--duration`) stops the streams, writes the last batch and prints the report.
 */
import { fromBinanceLive, newLiveStats } from '../connectors/binance-live/from-binance-live.js';
import type { LiveStats } from '../connectors/binance-live/live-stats.js';
import { LIVE_MARKETS, type LiveMarket } from '../connectors/binance-live/live-context.js';
import { parseLiveStreamType } from '../connectors/binance-live/live-streams.js';
import { RestLimiter } from '../connectors/binance-live/rest-limiter.js';
import { FlowGate } from '../connectors/plumbing/flow-gate.js';
import { ConfigError } from '../schemas/errors.js';
import type { Command, CommandContext } from './command.js';
import { resolveConfig, type OptionSpec } from './config.js';
import { MAX_TIMER_MS } from './option-checks.js';
import { LIVE_SINK_OPTIONS, buildLiveSinks } from './live-options.js';
import { keepLiveObjectsYoung } from './live-heap.js';
import { formatLiveReport, runLive } from './live-run.js';
import { OPS_OPTIONS } from './ops-options.js';
import { liveCheck } from './readiness-checks.js';
import { startRunOps } from './run-ops.js';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'market', type: 'string', doc: 'Binance market', choices: LIVE_MARKETS, default: 'spot' },
  { name: 'symbols', type: 'list', doc: 'Exchange symbols', placeholder: 'BTCUSDT,…' },
  { name: 'types', type: 'list', doc: 'Data: trades, aggTrades, klines:<i>, bookTicker, depth, markPrice, forceOrder', default: ['trades'], placeholder: 'trades,klines:1m,…' },
  { name: 'via', type: 'string', doc: 'Client: the raw WebSocket client (repairs holes over REST) or ccxt', choices: ['raw', 'ccxt'], default: 'raw' },
  { name: 'wsUrl', type: 'string', doc: 'WebSocket base of a Binance-compatible server (default: Binance)', placeholder: 'ws://host:port', check: 'url' },
  { name: 'restUrl', type: 'string', doc: 'REST base of a Binance-compatible server (default: Binance)', placeholder: 'http://host:port', check: 'url' },
  { name: 'duration', type: 'number', doc: 'Stop after this many seconds (0 = until Ctrl-C)', default: 0, min: 0, max: Math.floor(MAX_TIMER_MS / 1000) },
  { name: 'restWeightPerMinute', type: 'number', doc: 'REST request-weight budget per minute (snapshots, repair)', default: 1200, integer: true, min: 1 },
  { name: 'giveUpAfter', type: 'number', doc: `Stop with exit ${5} (never connected) or ${6} (lost the exchange) when no frame arrived for this many seconds while every reconnect failed (raw client; 0 = retry forever)`, default: 300, placeholder: 'SECONDS', min: 0, max: Math.floor(MAX_TIMER_MS / 1000) },
  { name: 'binanceApiKey', type: 'string', doc: 'Binance API key for REST repair where required (futures historicalTrades; without it a futures trade hole is repaired from the last 1000 trades only)', env: ['BINANCE_API_KEY'], secret: true },
  { name: 'maxFrameBytes', type: 'number', doc: 'Largest WebSocket frame accepted, bytes (a larger one drops the connection: gap, reconnect)', default: 4 << 20, integer: true, min: 1024 },
  { name: 'maxRestBodyBytes', type: 'number', doc: 'Largest REST answer read, bytes (a larger one fails that repair or snapshot)', default: 16 << 20, integer: true, min: 1024 },
  ...LIVE_SINK_OPTIONS,
  ...OPS_OPTIONS,
];

async function run(argv: readonly string[], context: CommandContext): Promise<number> {
  const { config } = resolveConfig('stream', OPTIONS, argv, context.env);
  keepLiveObjectsYoung(); // before the sinks' threads start (runLive applies it too): see live-heap.ts
  const market = config.market as LiveMarket;
  const symbols = [...((config.symbols as readonly string[] | undefined) ?? [])].map((s) => s.toUpperCase());
  if (symbols.length === 0) throw new ConfigError('lakehouse stream: --symbols is required (e.g. --symbols BTCUSDT,ETHUSDT)');
  const types = [...new Set((config.types as readonly string[]).map((t) => parseLiveStreamType(t, market)))];
  const wsUrl = config.wsUrl as string | undefined;
  const restUrl = config.restUrl as string | undefined;
  const stats = newLiveStats();
  const flow = new FlowGate();
  const stopSource = new AbortController();
  const ops = await startRunOps('stream', config, context);
  const limiter = new RestLimiter({ weightPerMinute: config.restWeightPerMinute as number });
  // ccxt (every exchange's code, ~40 MB of heap) is loaded only when it is the client.
  const source = config.via === 'ccxt'
    ? (await import('../connectors/binance-live/from-ccxt.js')).fromCcxt({ market, symbols, types, wsUrl, restUrl })
    : fromBinanceLive({ market, symbols, types, wsUrl, restUrl, stats, flow, limiter, apiKey: config.binanceApiKey as string | undefined,
      maxFrameBytes: config.maxFrameBytes as number, maxRestBodyBytes: config.maxRestBodyBytes as number, stop: stopSource.signal, onConnection: (event) => ops.logConnection(event) });
  if (config.via !== 'ccxt') { ops.metrics.watchLive(stats, limiter.stats); ops.ready(liveCheck(stats, flow)); }
  const built = await buildLiveSinks(config, ops.sinkHooks).catch(async (error: unknown) => { await ops.close(); throw error; });
  const { names, sinks, close } = built;
  ops.logger.info({ market, symbols, types, via: config.via, sinks: names }, 'streaming');
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(context.signal.reason);
  context.signal.addEventListener('abort', onAbort, { once: true });
  if (context.signal.aborted) onAbort();
  let gaveUp = 0;
  const giveUpAfterMs = (config.giveUpAfter as number) * 1000;
  const unwatch = giveUpAfterMs > 0 && config.via !== 'ccxt' ? watchForGiveUp(stats, giveUpAfterMs, (status) => { gaveUp = status; stop.abort(); }) : () => undefined;
  try {
    const report = await runLive({
      source: source.pipe(ops.metrics.countRecords()), sinks, stats, signal: stop.signal, durationMs: (config.duration as number) * 1000,
      ...(ops.progressMs === undefined ? {} : { progress: ops.progress, progressIntervalMs: ops.progressMs }),
      ...(config.via === 'ccxt' ? {} : { flow, stopSource }), maxBacklogRecords: config.maxBacklog as number,
      batches: { windowMs: config.batchMs as number, maxRows: config.batchRows as number },
    });
    context.stdout.write(config.json === true ? JSON.stringify(report) + '\n' : formatLiveReport(report) + '\n');
    if (gaveUp !== 0) {
      ops.logger.error({ exitStatus: gaveUp, giveUpAfterS: config.giveUpAfter }, `lakehouse stream: ${gaveUp === EXIT_NEVER_CONNECTED ? 'never connected to' : 'lost'} the exchange: no frame for ${String(config.giveUpAfter)} s while every reconnect failed (exit ${gaveUp})`);
    }
    return gaveUp;
  } finally {
    unwatch();
    context.signal.removeEventListener('abort', onAbort);
    try { await close(); } finally { await ops.close(); }
  }
}

/** Exit status of a run that never received a frame from the exchange (every connection attempt failed). */
export const EXIT_NEVER_CONNECTED = 5;
/** Exit status of a run that lost the exchange: no frame for `--give-up-after` seconds while reconnects kept failing. */
export const EXIT_GAVE_UP = 6;

/**
 * Watches the live counters: when no frame arrived for `afterMs` while the client kept reconnecting (so not a
 * quiet market on an open socket), calls `giveUp` with the exit status. Returns the stop function.
 */
export function watchForGiveUp(stats: LiveStats, afterMs: number, giveUp: (status: number) => void): () => void {
  let frames = stats.frames;
  let reconnects = stats.reconnects;
  let quietSince = Date.now();
  const timer = setInterval(() => {
    if (stats.frames !== frames) { frames = stats.frames; reconnects = stats.reconnects; quietSince = Date.now(); return; }
    if (stats.reconnects === reconnects || Date.now() - quietSince < afterMs) return;
    clearInterval(timer);
    giveUp(stats.frames === 0 ? EXIT_NEVER_CONNECTED : EXIT_GAVE_UP);
  }, Math.min(1000, Math.max(50, afterMs / 10)));
  timer.unref();
  return () => clearInterval(timer);
}

/** The `stream` command. */
export const streamCommand: Command = {
  name: 'stream',
  usage: `stream --market um --symbols BTCUSDT --types trades,aggTrades,klines:1m,markPrice [--via raw|ccxt] [--ws-url URL --rest-url URL] [--sink kafka|parquet] [--duration S] [--metrics-port PORT]

Exit status: 0 stopped by --duration, Ctrl-C/SIGTERM or the end of the feed; ${EXIT_NEVER_CONNECTED} never connected (no frame for
--give-up-after seconds while every connection attempt failed); ${EXIT_GAVE_UP} lost the exchange (the same, after it had
received frames); 2 invalid options; 1 any other failure (e.g. a sink error).`,
  options: OPTIONS,
  run,
};
