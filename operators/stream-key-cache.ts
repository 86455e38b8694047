/**
 * Per-operator lookup of a value by a record's stream. `streamKeyOf` builds a new string per record, and
 * hashing that fresh string on every Map lookup dominated the hot path; {@link StreamIndex} finds the value by
 * the record's symbol (one lookup) and a few field comparisons, allocating nothing for streams it has seen.
 * Memory: one entry per stream seen.
 */
import { streamKeyOf, type AnyRecord } from '../schemas/index.js';

interface Entry<T> {
  readonly kind: string;
  readonly market: string;
  readonly exchange: string;
  readonly priceKind: string | undefined;
  readonly interval: string | undefined;
  readonly value: T;
  /** The next stream of the same symbol (most symbols have one stream per operator). */
  next: Entry<T> | undefined;
}

function matches(entry: Entry<unknown>, record: AnyRecord): boolean {
  if (entry.kind !== record.kind || entry.market !== record.market || entry.exchange !== record.exchange) return false;
  return record.kind !== 'kline' || (entry.priceKind === record.priceKind && entry.interval === record.interval);
}

/** Values per stream key (as `streamKeyOf` defines it), created on first sight by `create(key)`. */
export class StreamIndex<T> {
  private readonly bySymbol = new Map<string, Entry<T>>();
  private readonly byGapStream = new Map<string, T>();

  constructor(private readonly create: (key: string) => T) {}

  /** The value of the record's stream. */
  get(record: AnyRecord): T {
    if (record.kind === 'gap') {
      let value = this.byGapStream.get(record.stream);
      if (value === undefined) this.byGapStream.set(record.stream, (value = this.create(record.stream)));
      return value;
    }
    const first = this.bySymbol.get(record.symbol);
    for (let entry = first; entry !== undefined; entry = entry.next) if (matches(entry, record)) return entry.value;
    const value = this.create(streamKeyOf(record));
    this.bySymbol.set(record.symbol, {
      kind: record.kind, market: record.market, exchange: record.exchange, value, next: first,
      priceKind: record.kind === 'kline' ? record.priceKind : undefined,
      interval: record.kind === 'kline' ? record.interval : undefined,
    });
    return value;
  }
}

/** A `streamKeyOf` with identical results that returns the same string object for a stream every time. */
export function cachedStreamKeyOf(): (record: AnyRecord) => string {
  const index = new StreamIndex((key) => key);
  return (record) => index.get(record);
}
