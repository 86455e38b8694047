/**
 * A generator of one consistent market day in the exact data.binance.vision CSV formats — trades, aggTrades
 * and the 1m klines Binance would publish for them (computed in exact decimal integer arithmetic, as the
 * exchange does) — and a tiny CSV → record mapper for tests (independent of the batch layer's parsers).
 *
 * Formats: spot files have no header, fixed 8-decimal numbers and `True/False`; um/cm files have a header,
 * unpadded numbers and `true/false`; `timeUnit: 'us'` writes 16-digit µs times and µs-era close times
 * (next open − 1 µs) like spot archives from 2025 on. COIN-M quantities are contracts (100 USD each) and
 * column 8 of cm klines is the base-asset volume.
 */
import {
  makeVersion, parseDecimal, parseEpochUs, parseUtcDayUs, US_PER_MINUTE, US_PER_MS, type AggTradeRecord,
  type KlineRecord, type Market, type TradeRecord,
} from '../../schemas/index.js';
import { prng } from './archive-rows.js';

/** What to generate. */
export interface MarketDayOptions {
  readonly market: Exclude<Market, 'option'>;
  readonly symbol: string;
  /** UTC day `YYYY-MM-DD`. */
  readonly day: string;
  readonly timeUnit: 'ms' | 'us';
  readonly seed: number;
  /** Trades per minute are drawn from [1, max]. @default 12 */
  readonly maxTradesPerMinute?: number;
  /** Minutes (0–1439) without any trade: Binance still publishes a kline for them (prev close, zero volume). */
  readonly emptyMinutes?: readonly number[];
}

/** The three archive files of the day, as CSV text. */
export interface MarketDay {
  readonly trades: string;
  readonly aggTrades: string;
  readonly klines1m: string;
}

interface RawTrade { id: number; ticks: number; lots: number; timeUs: number; buyerMaker: boolean }

const CONTRACT_USD = 100;


/** `units / 10^scale` as a decimal string: spot fixed at 8 decimals, futures trimmed keeping one decimal. */
function decimal(units: bigint | number, scale: number, padded: boolean): string {
  let value = BigInt(units);
  if (padded && scale < 8) {
    value *= 10n ** BigInt(8 - scale);
    scale = 8;
  }
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  let frac = digits.slice(digits.length - scale);
  if (!padded) frac = frac.replace(/0+$/, '') || '0';
  return `${negative ? '-' : ''}${digits.slice(0, digits.length - scale)}.${frac}`;
}

/** Generates the day. Prices: spot/um ticks of 0.01, cm 0.1; spot/um quantities lots of 0.00001, cm contracts. */
export function generateMarketDay(options: MarketDayOptions): MarketDay {
  const rnd = prng(options.seed);
  const cm = options.market === 'cm';
  const priceScale = cm ? 1 : 2;
  const dayUs = parseUtcDayUs(options.day);
  const empty = new Set(options.emptyMinutes ?? []);
  const trades: RawTrade[][] = [];
  let ticks = cm ? 800_000 : 8_000_000;
  let id = 1_000_000 + Math.floor(rnd() * 1e6);
  for (let m = 0; m < 1440; m++) {
    const minute: RawTrade[] = [];
    const count = empty.has(m) ? 0 : 1 + Math.floor(rnd() * (options.maxTradesPerMinute ?? 12));
    const offsets = Array.from({ length: count }, () => Math.floor(rnd() * 60_000) * US_PER_MS + (options.timeUnit === 'us' ? Math.floor(rnd() * 1000) : 0)).sort((a, b) => a - b);
    for (const offset of offsets) {
      const lots = cm ? 1 + Math.floor(rnd() * 500) : 1 + Math.floor(rnd() * 200_000);
      const previous = minute[minute.length - 1];
      if (previous !== undefined && rnd() < 0.3) {
        // One taker order filling several makers: same time, price and side (one aggTrade).
        minute.push({ ...previous, id: id++, lots });
        continue;
      }
      if (rnd() < 0.6) ticks += Math.floor(rnd() * 7) - 3;
      minute.push({ id: id++, ticks, lots, timeUs: dayUs + m * US_PER_MINUTE + offset, buyerMaker: rnd() < 0.5 });
    }
    trades.push(minute);
  }
  const time = (us: number): string => String(options.timeUnit === 'us' ? us : us / US_PER_MS);
  return {
    trades: tradesCsv(options, trades.flat(), priceScale, time),
    aggTrades: aggTradesCsv(options, trades.flat(), priceScale, time),
    klines1m: klinesCsv(options, trades, dayUs, priceScale, time),
  };
}

/** COIN-M base quantity of `contracts` at `ticks`, in units of 1e-8 (rounded half up, as written). */
function baseUnits(contracts: number, ticks: number, priceScale: number): bigint {
  const numerator = BigInt(contracts * CONTRACT_USD) * 10n ** BigInt(8 + priceScale);
  return (numerator * 2n + BigInt(ticks)) / (2n * BigInt(ticks));
}

function tradesCsv(o: MarketDayOptions, trades: RawTrade[], ps: number, time: (us: number) => string): string {
  const spot = o.market === 'spot';
  const bool = (b: boolean): string => (spot ? (b ? 'True' : 'False') : String(b));
  const lines = o.market === 'spot' ? [] : [o.market === 'um' ? 'id,price,qty,quote_qty,time,is_buyer_maker' : 'id,price,qty,base_qty,time,is_buyer_maker'];
  for (const t of trades) {
    const price = decimal(t.ticks, ps, spot);
    if (o.market === 'cm') {
      lines.push(`${t.id},${price},${t.lots}.0,${decimal(baseUnits(t.lots, t.ticks, ps), 8, false)},${time(t.timeUs)},${bool(t.buyerMaker)}`);
    } else {
      const quote = decimal(BigInt(t.ticks) * BigInt(t.lots), ps + 5, spot);
      const qty = decimal(t.lots, 5, spot);
      lines.push(`${t.id},${price},${qty},${quote},${time(t.timeUs)},${bool(t.buyerMaker)}${spot ? ',True' : ''}`);
    }
  }
  return lines.join('\n') + '\n';
}

function aggTradesCsv(o: MarketDayOptions, trades: RawTrade[], ps: number, time: (us: number) => string): string {
  const spot = o.market === 'spot';
  const lines = spot ? [] : ['agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker'];
  let aggId = 400_000;
  for (let i = 0; i < trades.length;) {
    let j = i;
    let lots = 0;
    while (j < trades.length && trades[j].ticks === trades[i].ticks && trades[j].timeUs === trades[i].timeUs && trades[j].buyerMaker === trades[i].buyerMaker) lots += trades[j++].lots;
    const t = trades[i];
    const qty = o.market === 'cm' ? `${lots}.0` : decimal(lots, 5, spot);
    const maker = spot ? (t.buyerMaker ? 'True' : 'False') : String(t.buyerMaker);
    lines.push(`${aggId++},${decimal(t.ticks, ps, spot)},${qty},${t.id},${trades[j - 1].id},${time(t.timeUs)},${maker}${spot ? ',True' : ''}`);
    i = j;
  }
  return lines.join('\n') + '\n';
}

function klinesCsv(o: MarketDayOptions, minutes: RawTrade[][], dayUs: number, ps: number, time: (us: number) => string): string {
  const spot = o.market === 'spot';
  const lines = spot ? [] : ['open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore'];
  let lastTicks = minutes.find((m) => m.length > 0)?.[0].ticks ?? 0;
  const closeOffsetUs = US_PER_MINUTE - (o.timeUnit === 'us' ? 1 : US_PER_MS);
  minutes.forEach((trades, m) => {
    const openUs = dayUs + m * US_PER_MINUTE;
    const prices = trades.map((t) => t.ticks);
    const [open, close] = trades.length > 0 ? [prices[0], prices[prices.length - 1]] : [lastTicks, lastTicks];
    const high = trades.length > 0 ? Math.max(...prices) : lastTicks;
    const low = trades.length > 0 ? Math.min(...prices) : lastTicks;
    lastTicks = close;
    let vol = 0n, volB = 0n, quote = 0n, quoteB = 0n;
    for (const t of trades) {
      const v = BigInt(t.lots);
      const q = o.market === 'cm' ? baseUnits(t.lots, t.ticks, ps) : BigInt(t.ticks) * v;
      vol += v; quote += q;
      if (!t.buyerMaker) { volB += v; quoteB += q; }
    }
    const qScale = o.market === 'cm' ? 8 : ps + 5;
    const fmtVol = (v: bigint): string => (o.market === 'cm' ? v.toString() : decimal(v, 5, spot));
    lines.push([
      time(openUs), decimal(open, ps, spot), decimal(high, ps, spot), decimal(low, ps, spot), decimal(close, ps, spot),
      fmtVol(vol), time(openUs + closeOffsetUs), decimal(quote, qScale, spot), trades.length, fmtVol(volB), decimal(quoteB, qScale, spot), '0',
    ].join(','));
  });
  return lines.join('\n') + '\n';
}

// ---- the tiny CSV → record mapper for tests ----

/** Where the rows of a CSV come from. */
export interface CsvOrigin {
  readonly market: Exclude<Market, 'option'>;
  readonly symbol: string;
  /** Archive object key, used as ingestId prefix. @default 'test.csv' */
  readonly file?: string;
}

function rows(text: string): string[][] {
  const lines = text.split('\n').filter((line) => line.length > 0);
  if (lines.length > 0 && !/^\d/.test(lines[0])) lines.shift();
  return lines.map((line) => line.split(','));
}

const bool = (text: string): boolean => text === 'True' || text === 'true';

function common(o: CsvOrigin, eventTimeUs: number, line: number) {
  return {
    exchange: 'binance' as const, market: o.market, symbol: o.symbol, eventTimeUs, source: 'archive' as const,
    receiveTimeUs: null, ingestId: `${o.file ?? 'test.csv'}:${line}`, version: makeVersion('archive', 1),
  };
}

/** Trades CSV (any market) → trade records. */
export function tradesFromCsv(text: string, o: CsvOrigin): TradeRecord[] {
  return rows(text).map((c, i) => {
    const cm = o.market === 'cm';
    const qty = parseDecimal(c[2]);
    return {
      kind: 'trade', ...common(o, parseEpochUs(c[4]), i + 1), tradeId: Number(c[0]), price: parseDecimal(c[1]),
      qty: cm ? null : qty, quoteQty: cm ? null : parseDecimal(c[3]), contracts: cm ? qty : null,
      baseQty: cm ? parseDecimal(c[3]) : null, isBuyerMaker: bool(c[5]), isBestMatch: o.market === 'spot' ? bool(c[6]) : null,
    };
  });
}

/** aggTrades CSV (any market) → aggTrade records. */
export function aggTradesFromCsv(text: string, o: CsvOrigin): AggTradeRecord[] {
  return rows(text).map((c, i) => {
    const qty = parseDecimal(c[2]);
    return {
      kind: 'aggTrade', ...common(o, parseEpochUs(c[5]), i + 1), aggTradeId: Number(c[0]), price: parseDecimal(c[1]),
      qty: o.market === 'cm' ? null : qty, contracts: o.market === 'cm' ? qty : null, firstTradeId: Number(c[3]),
      lastTradeId: Number(c[4]), isBuyerMaker: bool(c[6]), isBestMatch: o.market === 'spot' ? bool(c[7]) : null,
    };
  });
}

/** Klines CSV (any market) → kline records of `interval`. */
export function klinesFromCsv(text: string, o: CsvOrigin, interval = '1m'): KlineRecord[] {
  return rows(text).map((c, i) => {
    const cm = o.market === 'cm';
    const openTimeUs = parseEpochUs(c[0]);
    const [v, q, tbv, tbq] = [parseDecimal(c[5]), parseDecimal(c[7]), parseDecimal(c[9]), parseDecimal(c[10])];
    return {
      kind: 'kline', ...common(o, openTimeUs, i + 1), priceKind: 'trade', interval, openTimeUs, closeTimeUs: parseEpochUs(c[6]),
      open: parseDecimal(c[1]), high: parseDecimal(c[2]), low: parseDecimal(c[3]), close: parseDecimal(c[4]),
      volume: cm ? null : v, quoteVolume: cm ? null : q, contracts: cm ? v : null, baseVolume: cm ? q : null,
      tradeCount: Number(c[8]), takerBuyVolume: cm ? null : tbv, takerBuyQuoteVolume: cm ? null : tbq,
      takerBuyContracts: cm ? tbv : null, takerBuyBaseVolume: cm ? tbq : null, isClosed: true,
    };
  });
}
