/**
 * Where `lakehouse indicators` reads its bars (`--source`): the Parquet lake (the highest version of each bar:
 * the archive's where it is there) or a ClickHouse server's `klines` table, FINAL (one row per bar, the highest
 * version) — closed bars of one stream in an event-time range, ordered by open time.
 */
import { from, type Observable } from 'rxjs';
import { createClickHouseClient } from '../connectors/clickhouse/config.js';
import { quoteString } from '../connectors/clickhouse/sql-literal.js';
import { fromParquetLake } from '../connectors/parquet/from-parquet-lake.js';
import { tableNameOf } from '../schemas/clickhouse-ddl.js';
import { ConfigError } from '../schemas/errors.js';
import type { AnyRecord, KlineRecord } from '../schemas/records.js';
import { SINK_OPTIONS } from './backfill-sinks.js';
import { DEFAULT_CLICKHOUSE_DATABASE, clickhouseDatabaseOf } from './clickhouse-options.js';
import type { OptionSpec, ResolvedConfig } from './config.js';
import { clickhouseCaOf } from './connection-options.js';
import type { LakeStreamSelection } from './lake-stream.js';

const CLICKHOUSE = ['clickhouseUrl', 'clickhouseUser', 'clickhousePassword', 'clickhouseDatabase', 'clickhouseCa'];

/** `--source` and the ClickHouse connection, as backfill takes it. */
export const INDICATORS_SOURCE_OPTIONS: readonly OptionSpec[] = [
  { name: 'source', type: 'string', choices: ['lake', 'clickhouse'], default: 'lake', doc: 'where the bars are read: the lake (--lake) or the ClickHouse table klines (FINAL) in --clickhouse-database' },
  ...SINK_OPTIONS.filter((o) => CLICKHOUSE.includes(o.name)),
];

// Int64 / UInt64 columns come as JSON strings.
const LONGS = ['eventTimeUs', 'receiveTimeUs', 'version', 'openTimeUs', 'closeTimeUs', 'tradeCount'] as const;

async function* fromClickHouse(config: ResolvedConfig, selection: LakeStreamSelection, range: { fromUs: number; toUs: number }): AsyncGenerator<KlineRecord> {
  const url = config.clickhouseUrl as string | undefined;
  if (url === undefined) throw new ConfigError('lakehouse indicators --source clickhouse needs --clickhouse-url or CLICKHOUSE_URL');
  const caCert = clickhouseCaOf(config);
  const client = await createClickHouseClient({
    url, ...(config.clickhouseUser === undefined ? {} : { username: config.clickhouseUser as string }),
    ...(config.clickhousePassword === undefined ? {} : { password: config.clickhousePassword as string }), ...(caCert === undefined ? {} : { caCert }),
  });
  try {
    const { market, symbol, stream } = selection;
    const database = clickhouseDatabaseOf(config) ?? DEFAULT_CLICKHOUSE_DATABASE;
    const result = await client.query({
      query: `SELECT * FROM \`${database}\`.\`${tableNameOf('kline')}\` FINAL
        WHERE \`market\` = ${quoteString(market)} AND \`symbol\` = ${quoteString(symbol)} AND \`priceKind\` = ${quoteString(stream.priceKind ?? 'trade')}
          AND \`interval\` = ${quoteString(stream.interval ?? '')} AND \`openTimeUs\` >= ${Math.floor(range.fromUs)} AND \`openTimeUs\` < ${Math.floor(range.toUs)}
        ORDER BY \`openTimeUs\``,
      format: 'JSONEachRow',
    });
    for (const row of await result.json<Record<string, unknown>>()) {
      if (Number(row.isClosed) !== 1) continue; // the newest version of a bar may still be an open live kline
      for (const name of LONGS) if (row[name] !== null) row[name] = Number(row[name]);
      yield { ...row, kind: 'kline', isClosed: true } as unknown as KlineRecord;
    }
  } finally {
    await client.close();
  }
}

/** The closed bars of `selection`'s stream with open times in `range`, from `--source`. */
export function indicatorBars(config: ResolvedConfig, selection: LakeStreamSelection, range: { fromUs: number; toUs: number }): Observable<AnyRecord> {
  if (config.source === 'clickhouse') return from(fromClickHouse(config, selection, range));
  const { lake, stream, symbol, market } = selection;
  return fromParquetLake({ root: lake, type: stream.lakeType, kind: 'kline', symbol, market, range, orderBy: stream.orderBy });
}
