/** The real spot 1m kline fixtures as records, mapped by the archive's own kline mapper. */
import { mapArchiveKline } from '../../connectors/binance-archive/map-archive-kline.js';
import { RowCursor } from '../../connectors/binance-archive/row-cursor.js';
import { makeVersion, type KlineRecord } from '../../schemas/index.js';
import { realFixtureText } from './fixtures.js';

/** How {@link realFixtureKlines} labels the rows. */
export interface FixtureKlineOptions {
  /** @default 'BTCUSDT' */
  readonly symbol?: string;
  /** @default an archive version of 2020-09-13 (1,600,000,000,000 ms) */
  readonly version?: number;
  /** The ingest id of the row at `index` (counted across the files). @default `fixture:<index>` */
  readonly ingestId?: (index: number) => string;
}

/** The rows of the 1m kline fixtures `names`, one after another, as spot kline records. */
export function realFixtureKlines(names: readonly string[], options: FixtureKlineOptions = {}): KlineRecord[] {
  const version = options.version ?? makeVersion('archive', 1_600_000_000_000);
  return names.flatMap((name) => realFixtureText(name).trim().split('\n')).map((line, i) => mapArchiveKline(new RowCursor().reset(line), {
    market: 'spot', symbol: options.symbol ?? 'BTCUSDT', interval: '1m', priceKind: 'trade', ingestId: options.ingestId?.(i) ?? `fixture:${i}`, version,
  }) as KlineRecord);
}
