/**
 * The ClickHouse database option shared by every command that writes or reads ClickHouse: `backfill`,
 * `serve`, `stream` and `replay` (through the sink options: the database the migration creates and the sink
 * inserts into) and `query` (where unqualified table names resolve). `--clickhouse-database NAME`, or
 * `LAKEHOUSE_CLICKHOUSE_DATABASE`.
 */
import { ConfigError } from '../schemas/errors.js';
import type { OptionSpec, ResolvedConfig } from './config.js';

/** The database the sinks use when none is given. */
export const DEFAULT_CLICKHOUSE_DATABASE = 'lakehouse';

/** `--clickhouse-database` for the sink commands (default {@link DEFAULT_CLICKHOUSE_DATABASE}). */
export const CLICKHOUSE_DATABASE_OPTION: OptionSpec = {
  name: 'clickhouseDatabase', type: 'string', default: DEFAULT_CLICKHOUSE_DATABASE, placeholder: 'NAME',
  doc: 'ClickHouse database of the tables (created with them if missing)',
};

/** The `--clickhouse-database` value, or `undefined` when not given; an empty or blank name is a {@link ConfigError}. */
export function clickhouseDatabaseOf(config: ResolvedConfig): string | undefined {
  const database = config.clickhouseDatabase;
  if (database === undefined) return undefined;
  if (typeof database !== 'string' || database.trim() === '') {
    throw new ConfigError(`--clickhouse-database expects a database name, got ${JSON.stringify(database)}`);
  }
  return database;
}
