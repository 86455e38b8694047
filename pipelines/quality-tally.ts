/**
 * The day-by-day accounting behind `lakehouse quality`: what one stream should have held each UTC day (kline
 * windows, or trade / aggTrade ids), what it holds, why the rest is missing (the gaps and their causes), and the
 * copies, dead letters and late records around it — turned into one `quality` record per day. Memory: a few
 * counters per day of the range, never per record.
 */
import {
  makeVersion, nextWindowStartUs, US_PER_DAY, windowStartUs, type AnyRecord, type DeadLetterRecord,
  type GapCause, type GapRecord, type KlineInterval, type Market, type QualityRecord,
} from '../schemas/index.js';
import { LATE_RECORD } from '../operators/resample.js';
import { formatIsoUs } from '../schemas/time.js';

/** The stream measured. */
export interface TallyStream {
  readonly market: Market;
  readonly symbol: string;
  readonly kind: 'kline' | 'trade' | 'aggTrade';
  readonly interval?: KlineInterval;
  /** Its stream key (schemas/identity.ts streamKeyOf). */
  readonly key: string;
}

class Day {
  covered = 0;
  minId = Infinity;
  maxId = -Infinity;
  gapCount = 0;
  readonly missing = new Map<GapCause, number>();
  stored = 0;
  deadLetters = 0;
  lateRecords = 0;
}

/** Windows of `interval` that start in `[fromUs, toUs)`. */
function windowsIn(fromUs: number, toUs: number, interval: KlineInterval): number {
  let start = windowStartUs(fromUs, interval);
  if (start < fromUs) start = nextWindowStartUs(start, interval);
  let n = 0;
  for (; start < toUs; start = nextWindowStartUs(start, interval)) n++;
  return n;
}

/** See the module comment. */
export class QualityTally {
  private readonly days: Day[];

  constructor(private readonly stream: TallyStream, private readonly range: { readonly fromUs: number; readonly toUs: number }) {
    this.days = Array.from({ length: Math.round((range.toUs - range.fromUs) / US_PER_DAY) }, () => new Day());
  }

  private dayOf(timeUs: number): Day | undefined {
    return this.days[Math.floor((timeUs - this.range.fromUs) / US_PER_DAY)];
  }

  /** A record of the stream (one per identity key: the kept copy). */
  record(record: AnyRecord): void {
    const day = this.dayOf(record.eventTimeUs);
    if (day === undefined) return;
    day.covered++;
    const id = record.kind === 'trade' ? record.tradeId : record.kind === 'aggTrade' ? record.aggTradeId : undefined;
    if (id !== undefined) { day.minId = Math.min(day.minId, id); day.maxId = Math.max(day.maxId, id); }
  }

  /** A hole in the stream, with its cause; klines count missing windows per day, ids count in the day of the record after the hole. */
  gap(gap: GapRecord): void {
    if (gap.fromId !== null && gap.toId !== null) {
      const day = this.dayOf(gap.toUs);
      if (day === undefined) return;
      day.gapCount++;
      day.missing.set(gap.cause, (day.missing.get(gap.cause) ?? 0) + gap.toId - gap.fromId + 1);
      return;
    }
    for (let d = 0; d < this.days.length; d++) {
      const dayStart = this.range.fromUs + d * US_PER_DAY;
      const missing = windowsIn(Math.max(gap.fromUs, dayStart), Math.min(gap.toUs, dayStart + US_PER_DAY), this.stream.interval as KlineInterval);
      if (missing === 0) continue;
      this.days[d].gapCount++;
      this.days[d].missing.set(gap.cause, (this.days[d].missing.get(gap.cause) ?? 0) + missing);
    }
  }

  /** Rows stored for the stream on the day starting at `dayUs`, every copy counted. */
  stored(dayUs: number, rows: number): void {
    const day = this.dayOf(dayUs);
    if (day !== undefined) day.stored += rows;
  }

  /** A dead letter of the stream's symbol (a `LateRecord` counts as late). */
  deadLetter(letter: DeadLetterRecord): void {
    const day = this.dayOf(letter.eventTimeUs);
    if (day === undefined) return;
    if (letter.errorName === LATE_RECORD) day.lateRecords++;
    else day.deadLetters++;
  }

  /** One `quality` record per day of the range; `assessedMs` orders reassessments (a later one supersedes). */
  results(assessedMs: number): QualityRecord[] {
    const s = this.stream;
    const key = s.key;
    let previousMaxId = -Infinity;
    return this.days.map((day, d) => {
      const dayUs = this.range.fromUs + d * US_PER_DAY;
      let expected: number;
      if (s.kind === 'kline') {
        expected = windowsIn(dayUs, dayUs + US_PER_DAY, s.interval as KlineInterval);
      } else {
        const firstExpected = Number.isFinite(previousMaxId) ? previousMaxId + 1 : day.minId;
        expected = Number.isFinite(day.maxId) ? day.maxId - firstExpected + 1 : 0;
        if (Number.isFinite(day.maxId)) previousMaxId = day.maxId;
      }
      return {
        kind: 'quality', exchange: 'binance', market: s.market, symbol: s.symbol, eventTimeUs: dayUs, source: 'derived',
        receiveTimeUs: null, ingestId: `quality/${key}`, version: makeVersion('derived', assessedMs), stream: key, dataType: s.kind,
        interval: s.interval ?? null, day: formatIsoUs(dayUs).slice(0, 10), expected, covered: day.covered,
        completeness: expected === 0 ? 1 : day.covered / expected, gapCount: day.gapCount,
        missingByCause: [...day.missing].map(([cause, n]) => `${cause}=${n}`).join(','),
        duplicates: Math.max(0, day.stored - day.covered), deadLetters: day.deadLetters, lateRecords: day.lateRecords,
      };
    });
  }
}
