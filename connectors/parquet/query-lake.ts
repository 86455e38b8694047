/**
 * SQL over the Parquet lake with DuckDB (embedded `lakehouse query`): one view per lake type
 * (`trades`, `klines_1m`, `gaps`, …) over `read_parquet('<root>/exchange=*\/market=*\/type=<t>/symbol=*\/date=*\/*.parquet', hive_partitioning)`,
 * so `date`, `symbol`, … are also filterable partition columns. Local roots only list directories; s3:// roots
 * need DuckDB's httpfs extension (installed on first use, which needs network access once).
 *
 * Confined by default: once the views exist, DuckDB may touch no file outside the lake root (no
 * `read_csv('/etc/passwd')`, `COPY … TO`, `ATTACH`, extension installs or loads; the configuration is then locked)
 * and only SELECT statements run, so the SQL cannot write into the lake either. `allowExternalAccess` lifts both.
 * With `latestOnly`, each view holds one row per identity key (schemas/records.ts), the highest `version`, as
 * ClickHouse's ReplacingMergeTree(version) keeps; otherwise every stored row (a resampled or live copy of an
 * archive kline too, until its day partition is compacted: compact-lake-dir.ts). Rows stream out one DuckDB chunk (2,048 rows) at a time.
 */
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DuckDBInstance, StatementType, type DuckDBConnection } from '@duckdb/node-api';
import { ConfigError } from '../../schemas/errors.js';
import { KINDS } from '../../schemas/records.js';
import type { S3Config } from '../s3/config.js';
import { isS3Url } from '../s3/s3-url.js';
import { kindOfLakeType } from './lake-path.js';

/** Options of {@link queryLake}. */
export interface QueryLakeOptions {
  /** Lake root: a local directory or `s3://bucket/prefix`. */
  readonly root: string;
  /** The SQL to run; lake types are views. */
  readonly sql: string;
  /** Lake types to expose as views. @default every `type=…` directory found (local), or the listed ones (S3) */
  readonly types?: readonly string[];
  /** S3 settings for an s3:// root. */
  readonly s3?: S3Config;
  /** One row per identity key, the highest version (else every stored row). @default false */
  readonly latestOnly?: boolean;
  /** Let the SQL reach files outside the lake, attach databases, install and load extensions, run any statement. @default false */
  readonly allowExternalAccess?: boolean;
}

/** Rows as JSON-safe objects (BIGINT values come back as decimal strings, exact). */
export type LakeRow = Record<string, unknown>;

/** Quotes a DuckDB identifier (double quotes, doubled inside). */
export function quoteDuckIdentifier(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

/** Quotes a DuckDB string literal (single quotes, doubled inside). */
export function quoteDuckString(value: string): string {
  return "'" + value.replace(/'/g, "''") + "'";
}

async function subdirValues(dir: string, key: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && e.name.startsWith(`${key}=`)).map((e) => e.name.slice(key.length + 1));
}

/** The lake types present under a local root (`exchange=*\/market=*\/type=<t>`). */
export async function lakeTypesIn(root: string): Promise<string[]> {
  const types = new Set<string>();
  for (const exchange of await subdirValues(root, 'exchange')) {
    const exchangeDir = join(root, `exchange=${exchange}`);
    for (const market of await subdirValues(exchangeDir, 'market')) {
      for (const type of await subdirValues(join(exchangeDir, `market=${market}`), 'type')) types.add(type);
    }
  }
  return [...types].sort();
}

async function configureS3(connection: DuckDBConnection, s3: S3Config | undefined): Promise<void> {
  try {
    await connection.run('INSTALL httpfs');
    await connection.run('LOAD httpfs');
  } catch (error) {
    throw new ConfigError('querying an s3:// lake needs DuckDB\'s httpfs extension, which could not be installed (offline?)', { service: 'duckdb' }, error);
  }
  if (s3 === undefined) return;
  const parts = ['TYPE s3', `REGION ${quoteDuckString(s3.region ?? 'us-east-1')}`];
  if (s3.accessKeyId !== undefined) parts.push(`KEY_ID ${quoteDuckString(s3.accessKeyId)}`, `SECRET ${quoteDuckString(s3.secretAccessKey ?? '')}`);
  if (s3.endpoint !== undefined) {
    const url = new URL(s3.endpoint);
    parts.push(`ENDPOINT ${quoteDuckString(url.host)}`, `USE_SSL ${url.protocol === 'https:'}`, "URL_STYLE 'path'");
  }
  await connection.run(`CREATE SECRET lake_s3 (${parts.join(', ')})`);
}

/** Options of {@link createLakeViews}. */
export interface LakeViewOptions {
  /** One row per identity key, the highest version. @default false */
  readonly latestOnly?: boolean;
}

/** The view's filter keeping one row per identity key of the type's kind, the highest version ('' for unknown types). */
function latestFilter(type: string): string {
  const kind = kindOfLakeType(type);
  if (kind === undefined) return '';
  const key = KINDS[kind].key.map(quoteDuckIdentifier).join(', ');
  return ` QUALIFY row_number() OVER (PARTITION BY ${key} ORDER BY version DESC) = 1`;
}

/** Creates one view per lake type on `connection`; returns the view names. */
export async function createLakeViews(connection: DuckDBConnection, root: string, types: readonly string[], options: LakeViewOptions = {}): Promise<string[]> {
  const base = root.replace(/\/+$/, '');
  for (const type of types) {
    const glob = `${base}/exchange=*/market=*/type=${type}/symbol=*/date=*/*.parquet`;
    const latest = options.latestOnly === true ? latestFilter(type) : '';
    await connection.run(
      `CREATE OR REPLACE VIEW ${quoteDuckIdentifier(type)} AS SELECT * FROM read_parquet(${quoteDuckString(glob)}, hive_partitioning = true, union_by_name = true)${latest}`,
    );
  }
  return [...types];
}

/** From here on DuckDB reaches no file outside `root` and loads no extension; the settings cannot be changed back. */
async function confine(connection: DuckDBConnection, root: string): Promise<void> {
  await connection.run(`SET allowed_directories = [${quoteDuckString(`${root.replace(/\/+$/, '')}/`)}]`);
  await connection.run('SET enable_external_access = false');
  await connection.run('SET autoinstall_known_extensions = false');
  await connection.run('SET autoload_known_extensions = false');
  await connection.run('SET lock_configuration = true');
}

/**
 * Runs `sql` against the lake and yields its rows chunk by chunk as JSON-safe objects (BIGINT values as decimal
 * strings, exact); DuckDB closes when the iteration ends or is left. Of several statements, the last one's rows.
 */
export async function* queryLakeChunks(options: QueryLakeOptions): AsyncGenerator<LakeRow[]> {
  const onS3 = isS3Url(options.root);
  const root = onS3 ? options.root : resolve(options.root);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    if (onS3) await configureS3(connection, options.s3);
    const types = options.types ?? (onS3 ? [] : await lakeTypesIn(root));
    await createLakeViews(connection, root, types, { latestOnly: options.latestOnly === true });
    if (options.allowExternalAccess !== true) await confine(connection, root);
    const statements = await connection.extractStatements(options.sql);
    for (let i = 0; i < statements.count; i++) {
      const statement = await statements.prepare(i);
      if (options.allowExternalAccess !== true && statement.statementType !== StatementType.SELECT) {
        throw new ConfigError(`only SELECT statements run over the lake (got ${StatementType[statement.statementType]}); reading or writing other files, ATTACH, INSTALL and LOAD need --allow-external-access`);
      }
      if (i < statements.count - 1) { await statement.run(); continue; }
      const result = await statement.stream();
      for await (const rows of result.yieldRowObjectJson()) yield rows as LakeRow[];
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Runs `sql` against the lake and returns all rows (for tests and small results; see {@link queryLakeChunks}). */
export async function queryLake(options: QueryLakeOptions): Promise<LakeRow[]> {
  const all: LakeRow[] = [];
  for await (const rows of queryLakeChunks(options)) for (const row of rows) all.push(row);
  return all;
}
