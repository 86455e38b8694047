/**
 * `lakehouse query SQL`: SQL against ClickHouse when a server (or the embedded engine) is configured, otherwise
 * against the local Parquet lake through DuckDB. ClickHouse tables live in the `lakehouse` database
 * (`SELECT … FROM lakehouse.trades`), or the one given to `--clickhouse-database`, which is then also where
 * unqualified names resolve; in the lake every type (`trades`, `klines_1m`, `gaps`, …) is a view.
 *
 * By default a key shows once, in its highest version (lake views deduplicated; ClickHouse's `final` setting where
 * the server has it), `--all-versions` shows every stored row. Over the lake only SELECTs run and DuckDB reaches no
 * file outside it unless `--allow-external-access`. Rows are printed as they arrive (pipelines/query-output.ts).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouseClient } from '../connectors/clickhouse/config.js';
import { queryLakeChunks, type LakeRow } from '../connectors/parquet/query-lake.js';
import { ConfigError } from '../schemas/errors.js';
import { clickhouseDatabaseOf } from './clickhouse-options.js';
import type { Command } from './command.js';
import { resolveConfig, type OptionSpec, type ResolvedConfig } from './config.js';
import { writeRows } from './query-output.js';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'engine', type: 'string', choices: ['auto', 'lake', 'clickhouse'], default: 'auto', doc: 'auto = ClickHouse when configured, else the lake' },
  { name: 'lake', type: 'string', default: './lake', placeholder: 'DIR|s3://b/p', doc: 'Parquet lake root', check: 'lake' },
  { name: 'clickhouseUrl', type: 'string', env: ['CLICKHOUSE_URL'], placeholder: 'URL', doc: 'ClickHouse server', check: 'url' },
  { name: 'clickhouseEmbedded', type: 'string', placeholder: 'DIR', check: 'dir', doc: 'data directory of the embedded ClickHouse engine (chdb)' },
  { name: 'clickhouseUser', type: 'string', env: ['CLICKHOUSE_USER'], default: 'default', doc: 'ClickHouse user' },
  { name: 'clickhousePassword', type: 'string', env: ['CLICKHOUSE_PASSWORD'], default: '', secret: true, doc: 'ClickHouse password' },
  { name: 'clickhouseDatabase', type: 'string', placeholder: 'NAME', doc: 'ClickHouse database for unqualified table names (default: the server\'s; backfill writes to lakehouse)' },
  { name: 'json', type: 'boolean', default: false, doc: 'print JSON lines instead of a table' },
  { name: 'allVersions', type: 'boolean', default: false, doc: 'every stored row; by default one row per identity key, the highest version (lake views; ClickHouse with the final setting)' },
  { name: 'allowExternalAccess', type: 'boolean', default: false, doc: 'lake engine: let the SQL read and write files outside the lake, ATTACH, INSTALL/LOAD extensions and run any statement (default: SELECTs over the lake only)' },
];

/** Whether the server knows the `final` setting (FINAL on every table of a query; ClickHouse 23.2+). */
async function supportsFinal(client: ClickHouseClient): Promise<boolean> {
  const result = await client.query({ query: "SELECT count() AS n FROM system.settings WHERE name = 'final'", format: 'JSONEachRow' });
  const [row] = await result.json<{ n: number | string }>();
  return Number(row?.n ?? 0) > 0;
}

/** Streams the rows of `sql` from ClickHouse; one row per key (setting `final`) unless `allVersions`, where the server can. */
async function* queryClickHouse(sql: string, config: ResolvedConfig, warn: (line: string) => void): AsyncGenerator<LakeRow[]> {
  const database = clickhouseDatabaseOf(config);
  const client = await createClickHouseClient({
    ...(database === undefined ? {} : { database }),
    url: config.clickhouseUrl as string | undefined,
    embeddedPath: config.clickhouseUrl === undefined ? (config.clickhouseEmbedded as string) : undefined,
    username: config.clickhouseUser as string, password: config.clickhousePassword as string,
  });
  try {
    const final = config.allVersions !== true && await supportsFinal(client);
    if (config.allVersions !== true && !final) warn('this ClickHouse server has no `final` setting: rows are shown as stored (write FINAL after a table name for one row per key)');
    const result = await client.query({ query: sql, format: 'JSONEachRow', ...(final ? { clickhouse_settings: { final: 1 } } : {}) });
    for await (const rows of result.stream()) yield rows.map((row) => row.json<LakeRow>());
  } finally {
    await client.close();
  }
}

export const queryCommand: Command = {
  name: 'query',
  usage: 'query "SQL" [--engine auto|lake|clickhouse] [--lake DIR|s3://b/p] [--json] [--all-versions] [--allow-external-access]',
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
    const chunks = useClickHouse
      ? queryClickHouse(sql, config, (line) => context.stderr.write(`lakehouse query: ${line}\n`))
      : queryLakeChunks({ root: config.lake as string, sql, latestOnly: config.allVersions !== true, allowExternalAccess: config.allowExternalAccess === true });
    await writeRows(chunks, context.stdout, config.json === true);
    return 0;
  },
};
