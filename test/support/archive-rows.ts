/**
 * Deterministic CSV rows in the exact real formats of data.binance.vision (docs/BINANCE.md §3): spot
 * without header, `True/False`, 8-decimal numbers and µs timestamps from 2025-01-01; futures with header,
 * `true/false`, unpadded numbers and ms; COIN-M quantities in contracts; text timestamps for metrics and
 * bookDepth; fundingRate calc_time jittering a few ms after the mark. Trade, aggTrade and bookTicker ids
 * increase strictly across a symbol's consecutive files, as on Binance ({@link firstIdOf}).
 */
import type { Market } from '../../schemas/ids.js';
import { fixedIntervalUs, nextWindowStartUs, type KlineInterval } from '../../schemas/interval.js';
import { US_PER_DAY, US_PER_MS, US_PER_SECOND, US_PER_HOUR, formatIsoUs } from '../../schemas/time.js';
import type { ArchiveDataType } from '../../connectors/binance-archive/data-types.js';

/** What a file's rows depend on. */
export interface RowSpec {
  readonly market: Market;
  readonly symbol: string;
  readonly dataType: ArchiveDataType;
  readonly interval: KlineInterval | null;
  /** Covered time: [startUs, endUs). */
  readonly startUs: number;
  readonly endUs: number;
  /** Rows per day for event types (trades, aggTrades, bookTicker, liquidations). @default 500 */
  readonly eventsPerDay?: number;
  /** Upper bound on rows. */
  readonly maxRows?: number;
  /** Seed (e.g. the hash of the key). */
  readonly seed: number;
}

/** A small fast PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stable price level per symbol that drifts slowly from day to day (so consecutive files join smoothly). */
function startPrice(spec: RowSpec): number {
  let hash = 2166136261;
  for (let i = 0; i < spec.symbol.length; i++) hash = Math.imul(hash ^ spec.symbol.charCodeAt(i), 16777619) >>> 0;
  const base = 100 + (hash % 60_000);
  return base * (1 + 0.05 * Math.sin(spec.startUs / US_PER_DAY / 7));
}

/** Trades one generated aggTrade covers at most (its first..last trade id span + 1). */
const MAX_TRADES_PER_AGG = 4;

/**
 * The id of row 0 of a file, from its UTC day index (days since the epoch) rather than a per-file seed, so ids
 * never overlap or go back from one day or month to the next: row k of day D is `base + D × eventsPerDay + k`.
 * A mirror generated with one `eventsPerDay` therefore has contiguous ids across its daily and monthly files
 * (a monthly file holds exactly its days' ids); `maxRows` only leaves gaps.
 */
export function firstIdOf(spec: Pick<RowSpec, 'startUs' | 'eventsPerDay'>, base: number): number {
  const dayIndex = Math.floor(spec.startUs / US_PER_DAY);
  const id = base + dayIndex * Math.round(spec.eventsPerDay ?? 500);
  if (!Number.isSafeInteger(id * MAX_TRADES_PER_AGG)) throw new RangeError(`generated ids beyond 2^53 (eventsPerDay ${spec.eventsPerDay})`);
  return id;
}

const HEADERS: Partial<Record<ArchiveDataType, string>> = {
  klines: 'open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore',
  aggTrades: 'agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker',
  fundingRate: 'calc_time,funding_interval_hours,last_funding_rate',
  bookTicker: 'update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time',
  bookDepth: 'timestamp,percentage,depth,notional',
  metrics: 'create_time,symbol,sum_open_interest,sum_open_interest_value,count_toptrader_long_short_ratio,sum_toptrader_long_short_ratio,count_long_short_ratio,sum_taker_long_short_vol_ratio',
  liquidationSnapshot: 'time,side,order_type,time_in_force,original_quantity,price,average_price,order_status,last_fill_quantity,accumulated_fill_quantity',
  BVOLIndex: 'calc_time,symbol,base_asset,quote_asset,index_value',
  EOHSummary: 'date,hour,symbol,underlying,type,strike,open,high,low,close,volume_contracts,volume_usdt,best_bid_price,best_ask_price,best_bid_qty,best_ask_qty,best_buy_iv,best_sell_iv,mark_price,mark_iv,delta,gamma,vega,theta,openinterest_contracts,openinterest_usdt',
};

/** The header line of a file, or null (spot files have none). */
export function headerOf(spec: Pick<RowSpec, 'market' | 'dataType'>): string | null {
  if (spec.market === 'spot') return null;
  if (spec.dataType === 'trades') return `id,price,qty,${spec.market === 'cm' ? 'base_qty' : 'quote_qty'},time,is_buyer_maker`;
  if (spec.dataType.endsWith('Klines')) return HEADERS.klines ?? null;
  return HEADERS[spec.dataType] ?? null;
}

/** Yields the data lines (no header) of a file, in chunks of joined lines ending in `\n`. */
export function* archiveRows(spec: RowSpec): Generator<string> {
  const rows = rowLines(spec);
  let chunk: string[] = [];
  for (const line of rows) {
    chunk.push(line);
    if (chunk.length >= 2048) { yield chunk.join('\n') + '\n'; chunk = []; }
  }
  if (chunk.length > 0) yield chunk.join('\n') + '\n';
}

function rowLines(spec: RowSpec): Generator<string> {
  switch (spec.dataType) {
    case 'klines': case 'markPriceKlines': case 'indexPriceKlines': case 'premiumIndexKlines': return klineLines(spec);
    case 'trades': return tradeLines(spec);
    case 'aggTrades': return aggTradeLines(spec);
    default: return otherLines(spec);
  }
}

const spotUs = (spec: RowSpec): boolean => spec.market === 'spot' && spec.startUs >= Date.UTC(2025, 0, 1) * US_PER_MS;
const ts = (spec: RowSpec, us: number): string => String(spotUs(spec) ? us : Math.floor(us / US_PER_MS));
const px = (spec: RowSpec, value: number): string => (spec.market === 'spot' ? value.toFixed(8) : String(Math.round(value * 10) / 10));
const qty = (spec: RowSpec, value: number): string => (spec.market === 'spot' ? value.toFixed(8) : spec.market === 'cm' ? `${Math.max(1, Math.round(value * 100))}.0` : String(Math.round(value * 1000) / 1000));
const flag = (spec: RowSpec, value: boolean): string => (spec.market === 'spot' ? (value ? 'True' : 'False') : String(value));
const limit = (spec: RowSpec, n: number): number => Math.min(n, spec.maxRows ?? Infinity);

function* klineLines(spec: RowSpec): Generator<string> {
  const random = prng(spec.seed);
  const interval = spec.interval ?? '1m';
  const unit = spotUs(spec) ? 1 : US_PER_MS;
  let price = startPrice(spec);
  let count = 0;
  for (let open = spec.startUs; open < spec.endUs && count < limit(spec, Infinity); open = nextWindowStartUs(open, interval), count++) {
    const close = open + (fixedIntervalUs(interval) ?? nextWindowStartUs(open, interval) - open) - unit;
    const o = price; price = Math.max(1, price * (1 + (random() - 0.5) * 0.002));
    const h = Math.max(o, price) * (1 + random() * 0.0005); const l = Math.min(o, price) * (1 - random() * 0.0005);
    const trade = spec.dataType === 'klines';
    const vol = trade ? random() * 20 : 0; const trades = trade ? Math.floor(random() * 500) : 60;
    const quote = spec.market === 'cm' ? vol * 100 / price : vol * price;
    yield [ts(spec, open), px(spec, o), px(spec, h), px(spec, l), px(spec, price), trade ? qty(spec, vol) : '0', ts(spec, close),
      trade ? quote.toFixed(8) : '0', String(trades), trade ? qty(spec, vol / 2) : '0', trade ? (quote / 2).toFixed(8) : '0', '0'].join(',');
  }
}

function* tradeLines(spec: RowSpec): Generator<string> {
  const random = prng(spec.seed);
  const days = (spec.endUs - spec.startUs) / US_PER_DAY;
  const n = limit(spec, Math.round((spec.eventsPerDay ?? 500) * days));
  let id = firstIdOf(spec, 1_000_000);
  let price = startPrice(spec);
  const step = (spec.endUs - spec.startUs) / n;
  for (let i = 0; i < n; i++) {
    price = Math.max(1, price * (1 + (random() - 0.5) * 0.0002));
    const q = random() * 2;
    const time = spec.startUs + Math.floor(i * step);
    const fourth = spec.market === 'cm' ? (Math.max(1, Math.round(q * 100)) * 100 / price).toFixed(8) : (q * price).toFixed(8);
    const cells = [String(id++), px(spec, price), qty(spec, q), fourth, ts(spec, time), flag(spec, random() < 0.5)];
    if (spec.market === 'spot') cells.push(flag(spec, true));
    yield cells.join(',');
  }
}

function* aggTradeLines(spec: RowSpec): Generator<string> {
  const random = prng(spec.seed);
  const days = (spec.endUs - spec.startUs) / US_PER_DAY;
  const n = limit(spec, Math.round((spec.eventsPerDay ?? 500) * days));
  let id = firstIdOf(spec, 500_000);
  let tradeId = id * MAX_TRADES_PER_AGG;
  let price = startPrice(spec);
  const step = (spec.endUs - spec.startUs) / n;
  for (let i = 0; i < n; i++) {
    price = Math.max(1, price * (1 + (random() - 0.5) * 0.0002));
    const span = Math.floor(random() * MAX_TRADES_PER_AGG);
    const cells = [String(id++), px(spec, price), qty(spec, random() * 2), String(tradeId), String(tradeId + span),
      ts(spec, spec.startUs + Math.floor(i * step)), flag(spec, random() < 0.5)];
    tradeId += span + 1;
    if (spec.market === 'spot') cells.push(flag(spec, true));
    yield cells.join(',');
  }
}

const text = (us: number): string => formatIsoUs(us).slice(0, 19).replace('T', ' ');

function* otherLines(spec: RowSpec): Generator<string> {
  const random = prng(spec.seed);
  const ms = (us: number): string => String(Math.floor(us / US_PER_MS));
  const events = limit(spec, Math.round((spec.eventsPerDay ?? 500) * (spec.endUs - spec.startUs) / US_PER_DAY));
  const step = (spec.endUs - spec.startUs) / Math.max(1, events);
  switch (spec.dataType) {
    case 'fundingRate':
      for (let t = spec.startUs; t < spec.endUs; t += 8 * US_PER_HOUR) yield `${ms(t + Math.floor(random() * 14) * US_PER_MS)},8,${((random() - 0.4) * 1e-4).toFixed(8)}`;
      return;
    case 'bookTicker': {
      const firstId = firstIdOf(spec, 1_000_000);
      for (let i = 0; i < events; i++) {
        const t = spec.startUs + Math.floor(i * step); const p = 30_000 + random() * 100;
        yield `${(firstId + i) * 7},${p.toFixed(1)},${(random() * 9).toFixed(3)},${(p + 0.1).toFixed(1)},${(random() * 9).toFixed(3)},${ms(t)},${ms(t + 3 * US_PER_MS)}`;
      }
      return;
    }
    case 'bookDepth':
      for (let t = spec.startUs; t < spec.endUs; t += 30 * 60 * US_PER_SECOND) {
        for (const band of [-5, -4, -3, -2, -1, 1, 2, 3, 4, 5]) yield `${text(t)},${band},${(Math.abs(band) * 1000 + random() * 100).toFixed(8)},${(Math.abs(band) * 8e7 + random() * 1e6).toFixed(8)}`;
      }
      return;
    case 'metrics':
      for (let t = spec.startUs; t < spec.endUs; t += 5 * 60 * US_PER_SECOND) {
        yield `${text(t)},${spec.symbol},${(90_000 + random() * 1000).toFixed(8)},${(2e9 + random() * 1e7).toFixed(8)},${random().toFixed(10)},${(1 + random()).toFixed(10)},${random().toFixed(10)},${(0.5 + random()).toFixed(10)}`;
      }
      return;
    case 'liquidationSnapshot':
      for (let i = 0; i < Math.min(events, 50); i++) {
        const t = spec.startUs + Math.floor(i * (spec.endUs - spec.startUs) / 50); const p = 30_000 + random() * 100;
        yield `${ms(t)},${random() < 0.5 ? 'SELL' : 'BUY'},LIMIT,IOC,${Math.ceil(random() * 50)},${p.toFixed(1)},${p.toFixed(1)},FILLED,1,${Math.ceil(random() * 50)}`;
      }
      return;
    case 'BVOLIndex':
      for (let t = spec.startUs; t < spec.endUs; t += 60 * US_PER_SECOND) yield `${ms(t + 2 * US_PER_MS)},${spec.symbol},${spec.symbol.replace(/USDT$/, '')},USDT,${(50 + random() * 10).toFixed(4)}`;
      return;
    case 'EOHSummary':
      for (let t = spec.startUs; t < spec.endUs; t += US_PER_HOUR) {
        const day = formatIsoUs(t).slice(0, 10); const hour = Math.floor((t % US_PER_DAY) / US_PER_HOUR);
        for (const [k, type] of [[30000, 'C'], [30000, 'P']] as const) {
          const contract = `${spec.symbol.replace(/USDT$/, '')}-${day.slice(2).replace(/-/g, '')}-${k}-${type}`;
          const nums = Array.from({ length: 20 }, () => (random() * 100).toFixed(4));
          yield [day, String(hour), contract, spec.symbol, type, String(k), ...nums].join(',');
        }
      }
      return;
    default:
      throw new Error(`no generator for ${spec.dataType}`);
  }
}
