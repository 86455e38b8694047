/**
 * What `fillGaps` does with one open gap: the synthetic bars of the flat policy, the authentic records a
 * REST fetch returned (checked against the gap), and the gap's fate records for the ledger.
 */
import {
  identityKeyOf, makeVersion, nextWindowStartUs, sequenceOfVersion, type AnyRecord, type GapCause,
  type GapRecord, type GapState, type KlineInterval, type KlineRecord,
} from '../schemas/index.js';
import { gapVersion } from './detect-gaps.js';

/** Records to emit for a gap (after the gap itself): its fate(s) first, then the filling records in order. */
export interface GapFill {
  readonly fates: GapRecord[];
  readonly records: AnyRecord[];
}

/** The gap with a new state (and optionally cause, range and count); its version follows the state. */
export function gapFate(gap: GapRecord, state: GapState, filledCount: number, detail: string, cause: GapCause = gap.cause): GapRecord {
  return { ...gap, state, cause, filledCount, detail, version: gapVersion(state) };
}

/** The open times of the windows of `interval` in `[fromUs, toUs)`. */
export function windowsIn(fromUs: number, toUs: number, interval: KlineInterval): number[] {
  const out: number[] = [];
  for (let t = fromUs; t < toUs; t = nextWindowStartUs(t, interval)) out.push(t);
  return out;
}

/** Policy `flat`: one bar per missing window at the previous close, zero volumes, `source: 'fill'`. */
export function flatFill(gap: GapRecord, previous: KlineRecord | undefined): GapFill {
  if (gap.dataType !== 'kline' || gap.interval === null) {
    return { fates: [gapFate(gap, 'unfillable', 0, 'the flat policy fills klines only')], records: [] };
  }
  if (previous === undefined || previous.interval !== gap.interval) {
    return { fates: [gapFate(gap, 'unfillable', 0, 'flat fill needs a previous close; none before this gap')], records: [] };
  }
  const interval = gap.interval as KlineInterval;
  const resolutionUs = nextWindowStartUs(previous.openTimeUs, interval) - previous.closeTimeUs;
  const zero = (value: number | null): number | null => (value === null ? null : 0);
  const price = previous.close;
  const records = windowsIn(gap.fromUs, gap.toUs, interval).map((openTimeUs): KlineRecord => ({
    ...previous, eventTimeUs: openTimeUs, source: 'fill', receiveTimeUs: null, ingestId: `fill/${gap.stream}`,
    version: makeVersion('fill', 0), openTimeUs, closeTimeUs: nextWindowStartUs(openTimeUs, interval) - resolutionUs,
    open: price, high: price, low: price, close: price, volume: zero(previous.volume),
    quoteVolume: zero(previous.quoteVolume), contracts: zero(previous.contracts), baseVolume: zero(previous.baseVolume),
    tradeCount: zero(previous.tradeCount), takerBuyVolume: zero(previous.takerBuyVolume),
    takerBuyQuoteVolume: zero(previous.takerBuyQuoteVolume), takerBuyContracts: zero(previous.takerBuyContracts),
    takerBuyBaseVolume: zero(previous.takerBuyBaseVolume), isClosed: true,
  }));
  return { fates: [gapFate(gap, 'filled', records.length, `flat: ${records.length} synthetic bars at close ${price}`)], records };
}

function inGap(gap: GapRecord, record: AnyRecord): boolean {
  if (record.kind !== gap.dataType) return false;
  if (record.kind === 'kline') return record.interval === gap.interval && record.openTimeUs >= gap.fromUs && record.openTimeUs < gap.toUs;
  if (gap.fromId !== null && gap.toId !== null) {
    const id = record.kind === 'trade' ? record.tradeId : record.kind === 'aggTrade' ? record.aggTradeId : Number.NaN;
    if (!Number.isNaN(id)) return id >= gap.fromId && id <= gap.toId;
  }
  return record.eventTimeUs >= gap.fromUs && record.eventTimeUs < gap.toUs;
}

function asRest(record: AnyRecord): AnyRecord {
  if (record.source === 'rest') return record;
  return { ...record, source: 'rest', version: makeVersion('rest', sequenceOfVersion(record.version)) } as AnyRecord;
}

/**
 * Policy `rest`: keeps the fetched records that belong to the gap (one per identity, highest version,
 * tagged `source: 'rest'`), in event-time order. Fate: `filled` when every expected record came (windows of
 * a kline gap; `toId − fromId + 1` trades), `partial` when some did — the kline windows still missing
 * become new gaps with cause `exchange_outage`, state `unfillable` — and `unfillable` with cause
 * `exchange_outage` when REST had nothing either.
 */
export function restFill(gap: GapRecord, fetched: readonly AnyRecord[]): GapFill {
  const byIdentity = new Map<string, AnyRecord>();
  for (const record of fetched) {
    if (!inGap(gap, record)) continue;
    const key = identityKeyOf(record);
    const held = byIdentity.get(key);
    if (held === undefined || record.version > held.version) byIdentity.set(key, asRest(record));
  }
  const records = [...byIdentity.values()].sort((a, b) => a.eventTimeUs - b.eventTimeUs);
  const windows = gap.dataType === 'kline' && gap.interval !== null ? windowsIn(gap.fromUs, gap.toUs, gap.interval as KlineInterval) : undefined;
  const expected = windows?.length ?? (gap.fromId !== null && gap.toId !== null ? gap.toId - gap.fromId + 1 : undefined);
  if (records.length === 0) return { fates: [gapFate(gap, 'unfillable', 0, 'REST returned nothing for the gap', 'exchange_outage')], records };
  if (expected === undefined || records.length >= expected) {
    return { fates: [gapFate(gap, 'filled', records.length, `rest: ${records.length} records`)], records };
  }
  const fates = [gapFate(gap, 'partial', records.length, `rest: ${records.length} of ${expected} records`)];
  if (windows !== undefined) fates.push(...residualGaps(gap, windows, records as KlineRecord[]));
  return { fates, records };
}

function residualGaps(gap: GapRecord, windows: number[], got: KlineRecord[]): GapRecord[] {
  const have = new Set(got.map((k) => k.openTimeUs));
  const out: GapRecord[] = [];
  let start: number | undefined;
  const interval = gap.interval as KlineInterval;
  for (const t of [...windows, Infinity]) {
    if (t !== Infinity && !have.has(t)) start ??= t;
    else if (start !== undefined) {
      const toUs = t === Infinity ? gap.toUs : t;
      out.push({ ...gapFate(gap, 'unfillable', 0, `REST has no ${interval} klines here either`, 'exchange_outage'), eventTimeUs: start, fromUs: start, toUs });
      start = undefined;
    }
  }
  return out;
}

/** A fetch failure: the gap stays unfilled, cause `unfillable`, the error's message as detail. */
export function failedFill(gap: GapRecord, error: unknown): GapFill {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { fates: [gapFate(gap, 'unfillable', 0, `REST fetch failed: ${message}`, 'unfillable')], records: [] };
}
