/**
 * `lakehouse stream`: live Binance data (raw WebSocket client, or `--via ccxt`) → batches → Kafka topics
 * (Avro) when Kafka is configured, else the embedded path into the Parquet lake. `--ws-url/--rest-url` point
 * it at any Binance-compatible server (e.g. `lakehouse replay --serve`). Progress on stderr every second;
 * Ctrl-C (or `--duration`) stops the streams, writes the last batch and prints the report.
 */
import { fromBinanceLive, newLiveStats } from '../connectors/binance-live/from-binance-live.js';
import { fromCcxt } from '../connectors/binance-live/from-ccxt.js';
import { LIVE_MARKETS, type LiveMarket } from '../connectors/binance-live/live-context.js';
import { parseLiveStreamType } from '../connectors/binance-live/live-streams.js';
import { RestLimiter } from '../connectors/binance-live/rest-limiter.js';
import { FlowGate } from '../connectors/flow-gate.js';
import { ConfigError } from '../schemas/errors.js';
import type { Command, CommandContext } from './command.js';
import { resolveConfig, type OptionSpec } from './config.js';
import { MAX_TIMER_MS } from './option-checks.js';
import { LIVE_SINK_OPTIONS, buildLiveSinks } from './live-options.js';
import { formatLiveReport, runLive } from './live-run.js';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'market', type: 'string', doc: 'Binance market', choices: LIVE_MARKETS, default: 'spot' },
  { name: 'symbols', type: 'list', doc: 'Exchange symbols', placeholder: 'BTCUSDT,…' },
  { name: 'types', type: 'list', doc: 'Data: trades, aggTrades, klines:<i>, bookTicker, depth, markPrice, forceOrder', default: ['trades'], placeholder: 'trades,klines:1m,…' },
  { name: 'via', type: 'string', doc: 'Client: the raw WebSocket client (repairs holes over REST) or ccxt', choices: ['raw', 'ccxt'], default: 'raw' },
  { name: 'wsUrl', type: 'string', doc: 'WebSocket base of a Binance-compatible server (default: Binance)', placeholder: 'ws://host:port', check: 'url' },
  { name: 'restUrl', type: 'string', doc: 'REST base of a Binance-compatible server (default: Binance)', placeholder: 'http://host:port', check: 'url' },
  { name: 'duration', type: 'number', doc: 'Stop after this many seconds (0 = until Ctrl-C)', default: 0, min: 0, max: Math.floor(MAX_TIMER_MS / 1000) },
  { name: 'restWeightPerMinute', type: 'number', doc: 'REST request-weight budget per minute (snapshots, repair)', default: 1200, integer: true, min: 1 },
  { name: 'binanceApiKey', type: 'string', doc: 'Binance API key for REST repair where required (futures historicalTrades; without it a futures trade hole is repaired from the last 1000 trades only)', env: ['BINANCE_API_KEY'], secret: true },
  { name: 'maxFrameBytes', type: 'number', doc: 'Largest WebSocket frame accepted, bytes (a larger one drops the connection: gap, reconnect)', default: 4 << 20, integer: true, min: 1024 },
  { name: 'maxRestBodyBytes', type: 'number', doc: 'Largest REST answer read, bytes (a larger one fails that repair or snapshot)', default: 16 << 20, integer: true, min: 1024 },
  ...LIVE_SINK_OPTIONS,
];

async function run(argv: readonly string[], context: CommandContext): Promise<number> {
  const { config } = resolveConfig('stream', OPTIONS, argv, context.env);
  const market = config.market as LiveMarket;
  const symbols = [...((config.symbols as readonly string[] | undefined) ?? [])].map((s) => s.toUpperCase());
  if (symbols.length === 0) throw new ConfigError('lakehouse stream: --symbols is required (e.g. --symbols BTCUSDT,ETHUSDT)');
  const types = [...new Set((config.types as readonly string[]).map((t) => parseLiveStreamType(t, market)))];
  const wsUrl = config.wsUrl as string | undefined;
  const restUrl = config.restUrl as string | undefined;
  const stats = newLiveStats();
  const flow = new FlowGate();
  const stopSource = new AbortController();
  const source = config.via === 'ccxt'
    ? fromCcxt({ market, symbols, types, wsUrl, restUrl })
    : fromBinanceLive({ market, symbols, types, wsUrl, restUrl, stats, flow, limiter: new RestLimiter({ weightPerMinute: config.restWeightPerMinute as number }), apiKey: config.binanceApiKey as string | undefined,
      maxFrameBytes: positive(config.maxFrameBytes, '--max-frame-bytes'), maxRestBodyBytes: positive(config.maxRestBodyBytes, '--max-rest-body-bytes'), stop: stopSource.signal });
  const { names, sinks, close } = await buildLiveSinks(config);
  context.stderr.write(`streaming ${market} ${symbols.join(',')} ${types.join(',')} via ${String(config.via)} → ${names.join(', ')}\n`);
  try {
    const report = await runLive({
      source, sinks, stats, signal: context.signal, durationMs: (config.duration as number) * 1000, progress: context.stderr,
      ...(config.via === 'ccxt' ? {} : { flow, stopSource }), maxBacklogRecords: config.maxBacklog as number,
      batches: { windowMs: config.batchMs as number, maxRows: config.batchRows as number },
    });
    if (context.stderr.isTTY === true) context.stderr.write('\n');
    context.stdout.write(config.json === true ? JSON.stringify(report) + '\n' : formatLiveReport(report) + '\n');
    return 0;
  } finally {
    await close();
  }
}

function positive(value: unknown, flag: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new ConfigError(`${flag} must be a positive whole number of bytes; got ${String(value)}`);
  return value;
}

/** The `stream` command. */
export const streamCommand: Command = {
  name: 'stream',
  usage: 'stream --market um --symbols BTCUSDT --types trades,aggTrades,klines:1m,markPrice [--via raw|ccxt] [--ws-url URL --rest-url URL] [--sink kafka|parquet] [--duration S]',
  options: OPTIONS,
  run,
};
