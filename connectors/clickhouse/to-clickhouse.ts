/**
 * The ClickHouse sink: `RecordBatch` → `WriteAck`, one insert per batch into the kind's
 * `ReplacingMergeTree(version)` table: RowBinary to servers (fastest, exact), TabSeparated to the embedded
 * chdb engine (its connection takes text bodies only). Idempotent: a replayed batch has the same rows, so the table converges
 * on the identity key (query with `FINAL` or after merges); on servers with `insert_deduplication_token` the
 * unit id is the token and the replayed insert is dropped outright.
 *
 * Batches are inserted one after another (`concatMap`). Transport failures and server overload are retried
 * with connectors/backoff.ts; rejected data (syntax, types) is not. A client created from `config` is closed
 * on teardown; a client passed in is left open.
 */
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ClickHouseError, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { Observable, concatMap, defer, from, type OperatorFunction } from 'rxjs';
import { retry, type BackoffOptions } from '../backoff.js';
import type { RecordBatch, WriteAck } from '../sink.js';
import { quoteIdentifier, tableNameOf } from '../../schemas/clickhouse-ddl.js';
import { SinkWriteError } from '../../schemas/errors.js';
import type { FieldSpec } from '../../schemas/fields.js';
import { KINDS, type KindName } from '../../schemas/records.js';
import { createClickHouseClient, isEmbeddedClient, type ClickHouseConfig } from './config.js';
import { rowBinaryChunks } from './map-row-binary.js';
import { tsvChunks } from './map-tsv-row.js';
import { probeCapabilities, type ClickHouseFeatures } from './probe-capabilities.js';

/** Options of {@link toClickHouse}. Give `client` or `config`. */
export interface ToClickHouseOptions {
  /** An open client (not closed by the sink). */
  readonly client?: ClickHouseClient;
  /** Connection settings; a client is created per subscription and closed on teardown. */
  readonly config?: ClickHouseConfig;
  /** Database holding the tables. @default 'lakehouse' */
  readonly database?: string;
  /** Table of a kind. @default tableNameOf */
  readonly tableOf?: (kind: KindName) => string;
  /** Probed server features; probed once per subscription when absent. */
  readonly features?: ClickHouseFeatures;
  /** Retry policy. @default backoff.ts defaults */
  readonly retry?: BackoffOptions;
  /** Insert encoding. @default 'RowBinary' for servers, 'TabSeparated' for the embedded engine */
  readonly format?: 'RowBinary' | 'TabSeparated';
}

/** Server error codes worth retrying: timeouts, overload, network, too many parts, unknown insert status. */
const RETRIABLE_CODES = new Set(['159', '164', '202', '203', '209', '210', '241', '252', '285', '319', '425', '999']);

/** Wraps an insert failure in a `SinkWriteError` whose `retriable` says whether repeating may help. */
export function classifyInsertError(error: unknown, table: string): SinkWriteError {
  if (error instanceof SinkWriteError) return error;
  const retriable = error instanceof ClickHouseError ? RETRIABLE_CODES.has(error.code) : true;
  const message = error instanceof Error ? error.message : String(error);
  return new SinkWriteError(`ClickHouse insert into ${table} failed: ${message.split('\n')[0]}`, { table, service: 'clickhouse' }, { retriable, cause: error });
}

interface Target { client: ClickHouseClient; features: ClickHouseFeatures; format: 'RowBinary' | 'TabSeparated' }

type Rows = readonly Readonly<Record<string, unknown>>[];

/**
 * The encoded body, built before sending: a record that cannot be encoded fails the batch before any byte
 * reaches the server (never a half-sent insert), and retries resend the same bytes.
 */
function encodeBody(format: Target['format'], fields: readonly FieldSpec[], records: Rows): (string | Buffer)[] {
  return format === 'TabSeparated' ? [...tsvChunks(records, fields)] : [...rowBinaryChunks(records, fields)];
}

async function insertOnce(target: Target, table: string, fields: readonly FieldSpec[], body: readonly (string | Buffer)[], settings: ClickHouseSettings): Promise<void> {
  const columns = fields.map((f) => quoteIdentifier(f.name));
  if (target.format === 'TabSeparated') {
    await target.client.insert({
      table, format: 'TabSeparated', columns: columns as [string, ...string[]],
      values: Readable.from(body, { objectMode: false }), clickhouse_settings: settings,
    });
    return;
  }
  const result = await target.client.exec({
    query: `INSERT INTO ${table} (${columns.join(', ')}) FORMAT RowBinary`,
    values: Readable.from(body, { objectMode: false }), clickhouse_settings: settings,
  });
  result.stream.resume();
  await finished(result.stream);
}

async function insertBatch(target: Target, batch: RecordBatch, options: ToClickHouseOptions): Promise<WriteAck> {
  const database = options.database ?? 'lakehouse';
  const table = `${quoteIdentifier(database)}.${quoteIdentifier((options.tableOf ?? tableNameOf)(batch.kind))}`;
  const fields = KINDS[batch.kind].fields;
  const ack: WriteAck = { sink: 'clickhouse', unitId: batch.unitId, kind: batch.kind, rows: batch.records.length, target: table };
  if (batch.records.length === 0) return ack;
  const settings: ClickHouseSettings = target.features.insertDeduplicationToken ? { insert_deduplicate: 1, insert_deduplication_token: batch.unitId } : {};
  const body = encodeBody(target.format, fields, batch.records as unknown as Rows);
  try {
    await retry(async () => {
      try {
        await insertOnce(target, table, fields, body, settings);
      } catch (error) {
        throw classifyInsertError(error, table);
      }
    }, { ...options.retry, context: { table, service: 'clickhouse' } });
  } finally {
    if (settings.insert_deduplication_token !== undefined && isEmbeddedClient(target.client)) await resetSessionToken(target.client);
  }
  return ack;
}

/**
 * chdb's connection applies per-query settings as session `SET`s, so a dedup token would stick to every later
 * insert of the process (silently dropping a later token-less insert into a table that saw it): reset it.
 */
async function resetSessionToken(client: ClickHouseClient): Promise<void> {
  await client.command({ query: 'SELECT 1', clickhouse_settings: { insert_deduplication_token: '' } }).catch(() => undefined);
}

/** Inserts each batch into its kind's table and emits one acknowledgement per batch, in order. */
export function toClickHouse(options: ToClickHouseOptions): OperatorFunction<RecordBatch, WriteAck> {
  return (batches) => defer(() => new Observable<WriteAck>((subscriber) => {
    let client: ClickHouseClient | undefined = options.client;
    let target: Promise<Target> | undefined;
    const connect = (): Promise<Target> => (target ??= (async () => {
      client ??= await createClickHouseClient(options.config ?? {});
      const format = options.format ?? (isEmbeddedClient(client) ? 'TabSeparated' : 'RowBinary');
      return { client, format, features: options.features ?? (await probeCapabilities(client)) };
    })());
    const subscription = batches
      .pipe(concatMap((batch) => from(connect().then((t) => insertBatch(t, batch, options)))))
      .subscribe(subscriber);
    return () => {
      subscription.unsubscribe();
      // Close a client this sink created, also when connecting or probing failed after it was created.
      if (options.client === undefined && target !== undefined) void target.catch(() => undefined).then(() => client?.close());
    };
  }));
}
