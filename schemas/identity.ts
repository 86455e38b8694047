/**
 * Identity keys (what dedupe and ClickHouse ORDER BY collapse on) and stream keys (the unit of ordering,
 * watermarks and gap detection: one symbol's one data type).
 */
import { KINDS, type AnyRecord } from './records.js';

const SEPARATOR = '\u001f';

/** A string that equals for two records exactly when their identity keys are equal. */
export function identityKeyOf(record: AnyRecord): string {
  const spec = KINDS[record.kind];
  const values = record as unknown as Record<string, unknown>;
  let key: string = record.kind;
  for (const field of spec.key) key += SEPARATOR + String(values[field]);
  return key;
}

/**
 * The stream a record belongs to: `exchange.market.kind[.priceKind.interval].SYMBOL`
 * (e.g. `binance.spot.kline.trade.1m.BTCUSDT`, `binance.um.trade.BTCUSDT`). Gaps carry theirs.
 */
export function streamKeyOf(record: AnyRecord): string {
  if (record.kind === 'gap') return record.stream;
  const base = `${record.exchange}.${record.market}.${record.kind}`;
  if (record.kind === 'kline') return `${base}.${record.priceKind}.${record.interval}.${record.symbol}`;
  return `${base}.${record.symbol}`;
}
