/**
 * SQL over the Parquet lake with DuckDB (embedded `lakehouse query`): one view per lake type
 * (`trades`, `klines_1m`, `gaps`, …) over `read_parquet('<root>/exchange=*\/market=*\/type=<t>/symbol=*\/date=*\/*.parquet', hive_partitioning)`,
 * so `date`, `symbol`, … are also filterable partition columns. Local roots only list directories; s3:// roots
 * need DuckDB's httpfs extension (installed on first use, which needs network access once).
 */
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { ConfigError } from '../../schemas/errors.js';
import type { S3Config } from '../s3/config.js';
import { isS3Url } from '../s3/s3-url.js';

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

/** Creates one view per lake type on `connection`; returns the view names. */
export async function createLakeViews(connection: DuckDBConnection, root: string, types: readonly string[]): Promise<string[]> {
  const base = root.replace(/\/+$/, '');
  for (const type of types) {
    const glob = `${base}/exchange=*/market=*/type=${type}/symbol=*/date=*/*.parquet`;
    await connection.run(
      `CREATE OR REPLACE VIEW ${quoteDuckIdentifier(type)} AS SELECT * FROM read_parquet(${quoteDuckString(glob)}, hive_partitioning = true, union_by_name = true)`,
    );
  }
  return [...types];
}

/** Runs `sql` against the lake and returns all rows (for interactive queries; not for bulk export). */
export async function queryLake(options: QueryLakeOptions): Promise<LakeRow[]> {
  const onS3 = isS3Url(options.root);
  const root = onS3 ? options.root : resolve(options.root);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    if (onS3) await configureS3(connection, options.s3);
    const types = options.types ?? (onS3 ? [] : await lakeTypesIn(root));
    await createLakeViews(connection, root, types);
    const reader = await connection.runAndReadAll(options.sql);
    return reader.getRowObjectsJson() as LakeRow[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
