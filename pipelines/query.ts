/**
 * `lakehouse query SQL`: SQL against ClickHouse when a server (or the embedded engine) is configured, otherwise
 * against the local Parquet lake through DuckDB. ClickHouse tables live in the `lakehouse` database
 * (`SELECT … FROM lakehouse.trades`), or the one given to `--clickhouse-database`, which is then also where
 * unqualified names resolve; in the lake every type (`trades`, `klines_1m`, `gaps`, …) is a view.
 */
import { createClickHouseClient } from '../connectors/clickhouse/config.js';
import { queryLake, type LakeRow } from '../connectors/parquet/query-lake.js';
import { ConfigError } from '../schemas/errors.js';
import { clickhouseDatabaseOf } from './clickhouse-options.js';
import type { Command } from './command.js';
import { resolveConfig, type OptionSpec, type ResolvedConfig } from './config.js';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'engine', type: 'string', choices: ['auto', 'lake', 'clickhouse'], default: 'auto', doc: 'auto = ClickHouse when configured, else the lake' },
  { name: 'lake', type: 'string', default: './lake', placeholder: 'DIR|s3://b/p', doc: 'Parquet lake root', check: 'lake' },
  { name: 'clickhouseUrl', type: 'string', env: ['CLICKHOUSE_URL'], placeholder: 'URL', doc: 'ClickHouse server', check: 'url' },
  { name: 'clickhouseEmbedded', type: 'string', placeholder: 'DIR', check: 'dir', doc: 'data directory of the embedded ClickHouse engine (chdb)' },
  { name: 'clickhouseUser', type: 'string', env: ['CLICKHOUSE_USER'], default: 'default', doc: 'ClickHouse user' },
  { name: 'clickhousePassword', type: 'string', env: ['CLICKHOUSE_PASSWORD'], default: '', secret: true, doc: 'ClickHouse password' },
  { name: 'clickhouseDatabase', type: 'string', placeholder: 'NAME', doc: 'ClickHouse database for unqualified table names (default: the server\'s; backfill writes to lakehouse)' },
  { name: 'json', type: 'boolean', default: false, doc: 'print JSON lines instead of a table' },
];

/** Renders rows as an aligned text table. */
export function formatTable(rows: readonly LakeRow[]): string {
  if (rows.length === 0) return '(no rows)';
  const columns = Object.keys(rows[0]);
  const cell = (v: unknown): string => (v === null || v === undefined ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]): string => values.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}

async function queryClickHouse(sql: string, config: ResolvedConfig): Promise<LakeRow[]> {
  const database = clickhouseDatabaseOf(config);
  const client = await createClickHouseClient({
    ...(database === undefined ? {} : { database }),
    url: config.clickhouseUrl as string | undefined,
    embeddedPath: config.clickhouseUrl === undefined ? (config.clickhouseEmbedded as string) : undefined,
    username: config.clickhouseUser as string, password: config.clickhousePassword as string,
  });
  try {
    const result = await client.query({ query: sql, format: 'JSONEachRow' });
    return (await result.json()) as LakeRow[];
  } finally {
    await client.close();
  }
}

export const queryCommand: Command = {
  name: 'query',
  usage: 'query "SQL" [--engine auto|lake|clickhouse] [--lake DIR|s3://b/p] [--json]',
  options: OPTIONS,
  async run(argv, context) {
    const { config, positionals } = resolveConfig('query', OPTIONS, argv, context.env);
    const sql = positionals.join(' ').trim();
    if (sql === '') throw new ConfigError('lakehouse query: give the SQL as an argument, e.g. lakehouse query "SELECT count() FROM trades"');
    const hasClickHouse = config.clickhouseUrl !== undefined || config.clickhouseEmbedded !== undefined;
    if (config.engine === 'clickhouse' && !hasClickHouse) {
      throw new ConfigError('lakehouse query: --engine clickhouse needs --clickhouse-url (or CLICKHOUSE_URL) or --clickhouse-embedded DIR');
    }
    const useClickHouse = config.engine === 'clickhouse' || (config.engine === 'auto' && hasClickHouse);
    const rows = useClickHouse
      ? await queryClickHouse(sql, config)
      : await queryLake({ root: config.lake as string, sql });
    if (config.json === true) for (const row of rows) context.stdout.write(JSON.stringify(row) + '\n');
    else context.stdout.write(formatTable(rows) + '\n');
    return 0;
  },
};
