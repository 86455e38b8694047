/**
 * ClickHouse connection settings and the client factory: (a) a server over HTTP(S), or (b) the embedded engine
 * (npm `chdb`, modern ClickHouse in-process, one data directory per process) through `@clickhouse/client`'s
 * `connection` option. Values are passed in; nothing here reads the environment.
 */
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { quoteIdentifier } from '../../schemas/clickhouse-ddl.js';
import { ConfigError } from '../../schemas/errors.js';
import { ClickHouseClientLogger, clickhouseLevelOf, clientLogLevel } from '../client-logs.js';

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

/** Where ClickHouse is. Exactly one of `url` or `embeddedPath`. */
export interface ClickHouseConfig {
  /** Server URL, e.g. `http://127.0.0.1:18123`. */
  readonly url?: string;
  /** Data directory of the embedded chdb engine (created if missing). */
  readonly embeddedPath?: string;
  /** User. @default 'default' */
  readonly username?: string;
  /** Password (masked when config is printed). @default '' */
  readonly password?: string;
  /** PEM text of the CA that signed an `https://` server's certificate. @default the system's CAs */
  readonly caCert?: string;
  /** Request timeout. @default 30000 (the client's default) */
  readonly requestTimeoutMs?: number;
  /**
   * Database that unqualified table names resolve in (it must exist): the `database` parameter of every request
   * to a server; `USE` on the embedded engine, whose one session per process keeps it. @default the server's
   */
  readonly database?: string;
  /** No client log lines (a health probe reports failures itself); otherwise they go through connectors/client-logs.ts. @default false */
  readonly quiet?: boolean;
}

const EMBEDDED_CLIENTS = new WeakSet<ClickHouseClient>();

/** True for clients of the embedded chdb engine (it reads insert bodies as text, so binary formats are out). */
export function isEmbeddedClient(client: ClickHouseClient): boolean {
  return EMBEDDED_CLIENTS.has(client);
}

/** Creates a client for a server URL or the embedded engine; close it with `client.close()`. */
export async function createClickHouseClient(config: ClickHouseConfig): Promise<ClickHouseClient> {
  if ((config.url === undefined) === (config.embeddedPath === undefined)) {
    throw new ConfigError('ClickHouse: give exactly one of a server url or an embedded data directory');
  }
  if (config.caCert !== undefined && !(config.url ?? '').startsWith('https://')) {
    throw new ConfigError('ClickHouse: a CA certificate needs an https:// server url');
  }
  const timeout = config.requestTimeoutMs === undefined ? {} : { request_timeout: config.requestTimeoutMs };
  if (config.url !== undefined) {
    return createClient({
      url: config.url,
      username: config.username ?? 'default',
      password: config.password ?? '',
      ...(config.database === undefined ? {} : { database: config.database }),
      ...(config.caCert === undefined ? {} : { tls: { ca_cert: Buffer.from(config.caCert) } }),
      ...timeout,
      log: { LoggerClass: ClickHouseClientLogger, level: config.quiet === true ? ClickHouseLogLevel.OFF : clickhouseLevelOf(clientLogLevel()) as ClickHouseLogLevel },
    });
  }
  let chdb: typeof import('chdb/connection');
  try {
    chdb = await import('chdb/connection');
  } catch (error) {
    throw new ConfigError('the embedded ClickHouse engine needs the optional dependency `chdb` (npm install chdb)', { service: 'clickhouse' }, error);
  }
  // chdb implements the Connection of its own @clickhouse/client-common copy: same shape, distinct type identity.
  const connection = chdb.createChdbConnection({ path: config.embeddedPath }) as unknown as ClientConnection;
  const client = createClient({ connection, ...timeout });
  EMBEDDED_CLIENTS.add(client);
  if (config.database !== undefined) {
    try {
      await client.command({ query: `USE ${quoteIdentifier(config.database)}` });
    } catch (error) {
      await client.close();
      throw error;
    }
  }
  return client;
}
