/**
 * The ClickHouse sink: `RecordBatch` → `WriteAck`, one insert per batch into the kind's
 * `ReplacingMergeTree(version)` table: RowBinary to servers (fastest, exact), TabSeparated to the embedded
 * chdb engine (its connection takes text bodies only). Idempotent: a replayed batch has the same rows, so the table converges
 * on the identity key (query with `FINAL` or after merges); on servers with `insert_deduplication_token` the
 * unit id is the token and the replayed insert is dropped outright.
 *
 * One insert runs at a time (connectors/batching-sink.ts); batches that arrive meanwhile wait, and the next insert
 * takes every waiting batch of the head's kind (up to `maxInsertRows`): ClickHouse wants few large inserts (each
 * insert is a part to sort, write and merge later), and a sink that falls behind then catches up with larger
 * inserts instead of more of them. A batch is encoded when it arrives and waits as bytes, so its records can be
 * dropped at once. Acknowledgements stay one per batch, in input order. The dedup token of a combined insert is a hash of its unit ids (the
 * same batches, combined the same way, give the same token; combined differently after a crash, the rows
 * are inserted again and collapse on the identity key). A batch may come encoded already (RowBinary, early
 * encoding: row-binary-rows.ts); its bytes are sent as they are. Transport failures and server overload are retried
 * with connectors/plumbing/backoff.ts; rejected data (syntax, types) is not. A client created from `config` is closed
 * on teardown; a client passed in is left open.
 *
 * Staged units (connectors/sink.ts `Stage`, an archive file loaded whole or not at all): a staged batch goes
 * into a staging table of this sink beside its kind's table (staging-tables.ts: from the kind's DDL, so same
 * columns, engine, partitioning and sort key; never shared with another writer of the same file), and
 * the unit's `commit` batch moves the staged rows into the table with `ATTACH PARTITION … FROM` per partition
 * (hard links of the staged parts: no rows re-sent or re-sorted; one month partition per daily or monthly
 * file, so one statement, atomic) and drops the staging table; `abort` drops it. Readers never see a
 * staged file's rows before its commit. A retried attach whose first attempt landed attaches the rows twice;
 * they collapse on the identity key like any replayed insert. A staged encoded batch may leave out constant
 * string columns (`RowBinaryRows.constants`, e.g. the file's `ingestId`): its staging table is created with them
 * as column defaults, so the attached parts hold them (the serving table's own DDL is untouched); an
 * unstaged batch that leaves columns out is refused, since a real table would store empty strings.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ClickHouseError, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import type { OperatorFunction } from 'rxjs';
import { batchingSink } from '../batching-sink.js';
import { retry, type BackoffOptions } from '../plumbing/backoff.js';
import type { EncodedRows, RecordBatch, Stage, WriteAck } from '../sink.js';
import { quoteIdentifier, tableNameOf } from '../../schemas/clickhouse-ddl.js';
import { SinkWriteError } from '../../schemas/errors.js';
import type { FieldSpec } from '../../schemas/fields.js';
import { KINDS, type KindName } from '../../schemas/records.js';
import { createClickHouseClient, isEmbeddedClient, type ClickHouseConfig } from './config.js';
import { rowBinaryChunks } from './map-row-binary.js';
import { isRowBinaryRows } from './row-binary-rows.js';
import { tsvChunks } from './map-tsv-row.js';
import { probeCapabilities, type ClickHouseFeatures } from './probe-capabilities.js';
import { StagingTables, type StagingTarget } from './staging-tables.js';

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
  /** Probed server features; probed once per subscription when absent (and no `ready`). */
  readonly features?: ClickHouseFeatures;
  /**
   * The tables' preparation (e.g. a migration started beside the first parse), resolving to the probed
   * features: the first statement waits for it, and its rejection fails the sink.
   */
  readonly ready?: Promise<ClickHouseFeatures>;
  /** Retry policy. @default backoff.ts defaults */
  readonly retry?: BackoffOptions;
  /** Insert encoding. @default 'RowBinary' for servers, 'TabSeparated' for the embedded engine */
  readonly format?: 'RowBinary' | 'TabSeparated';
  /** Waiting batches of one kind are combined into inserts of at most this many rows. @default {@link MAX_INSERT_ROWS} */
  readonly maxInsertRows?: number;
  /** Staging tables older than this are a killed run's leftovers, dropped by the next sink that stages. @default one day (staging-tables.ts) */
  readonly staleStagingSeconds?: number;
}

/** Default most rows in one insert (batches are combined up to it, see the module doc). */
export const MAX_INSERT_ROWS = 500_000;

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
 * reaches the server (never a half-sent insert), and retries resend the same bytes. Neither format has a
 * header, so the body of several batches is their bodies one after another.
 */
function encodeBody(format: Target['format'], fields: readonly FieldSpec[], records: Rows): (string | Buffer)[] {
  return format === 'TabSeparated' ? [...tsvChunks(records, fields)] : [...rowBinaryChunks(records, fields)];
}

/** A batch waiting for its insert: its records until the format is known, then only its encoded body. */
interface Waiting {
  readonly kind: KindName;
  readonly unitId: string;
  readonly rows: number;
  records: Rows | undefined;
  body: (string | Buffer)[] | undefined;
  /** The format of a batch that came encoded (early encoding), else null. */
  readonly encodedAs: EncodedRows['format'] | null;
  /** The staged unit it belongs to (or ends), if any. */
  readonly stage: Stage | undefined;
  /** Columns left out of an encoded body as constants (row-binary-rows.ts `RowBinaryRows.constants`), else empty. */
  readonly constants: Readonly<Record<string, string>>;
  /** `constants` as a key: batches combine only with the same columns. */
  readonly constantsKey: string;
}

function encodeWaiting(waiting: Waiting, format: Target['format']): void {
  if (waiting.constantsKey !== '' && waiting.stage === undefined) {
    throw new SinkWriteError(`batch ${waiting.unitId} leaves out columns as constants (${Object.keys(waiting.constants).join(', ')}); only a staged batch may, its staging table giving them as defaults`, { service: 'clickhouse' }, { retriable: false });
  }
  if (waiting.encodedAs !== null && waiting.encodedAs !== format) {
    throw new SinkWriteError(`batch ${waiting.unitId} came encoded as ${waiting.encodedAs}, but this ClickHouse target takes ${format}`, { service: 'clickhouse' }, { retriable: false });
  }
  if (waiting.body !== undefined) return;
  waiting.body = encodeBody(format, KINDS[waiting.kind].fields, waiting.records as Rows);
  waiting.records = undefined;
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

/**
 * The head batch and the batches right behind it of the same kind and stage, up to `maxRows` rows (the head
 * always); the end of a stage is a group of its own.
 */
function takeGroup(queue: Waiting[], maxRows: number): Waiting[] {
  const group = [queue.shift() as Waiting];
  let rows = group[0].rows;
  const sameUnit = (next: Waiting): boolean => next.kind === group[0].kind && next.stage?.id === group[0].stage?.id
    && next.stage?.end === undefined && group[0].stage?.end === undefined && next.constantsKey === group[0].constantsKey;
  while (queue.length > 0 && sameUnit(queue[0]) && rows + queue[0].rows <= maxRows) {
    rows += queue[0].rows;
    group.push(queue.shift() as Waiting);
  }
  return group;
}

/** The insert dedup token of a group: its unit id alone, or a hash of all of them. */
function tokenOf(group: readonly Waiting[]): string {
  if (group.length === 1) return group[0].unitId;
  return `sha256:${createHash('sha256').update(group.map((b) => b.unitId).join('\n')).digest('hex')}`;
}

/** Runs one statement (DDL, ALTER) with the insert's retry policy and error classification. */
async function statement(target: Target, query: string, what: string, options: ToClickHouseOptions): Promise<void> {
  await retry(async () => {
    try {
      await target.client.command({ query });
    } catch (error) {
      throw classifyInsertError(error, what);
    }
  }, { ...options.retry, context: { table: what, service: 'clickhouse' } });
}

function stagingTarget(target: Target, options: ToClickHouseOptions): StagingTarget {
  return { client: target.client, features: target.features, run: (query, what) => statement(target, query, what, options) };
}

/** Commits or aborts a stage (see {@link StagingTables.end}); its acknowledgement names the kind's table. */
async function endStage(target: Target, staging: StagingTables, batch: Waiting, options: ToClickHouseOptions): Promise<WriteAck> {
  await staging.end(stagingTarget(target, options), batch.stage as Stage);
  const kindTable = `${quoteIdentifier(options.database ?? 'lakehouse')}.${quoteIdentifier((options.tableOf ?? tableNameOf)(batch.kind))}`;
  return { sink: 'clickhouse', unitId: batch.unitId, kind: batch.kind, rows: 0, target: kindTable };
}

/** Inserts the records of a group of batches of one kind in one insert; one ack per batch. */
async function insertGroup(target: Target, group: readonly Waiting[], options: ToClickHouseOptions, staging: StagingTables): Promise<WriteAck[]> {
  const kind = group[0].kind;
  const database = options.database ?? 'lakehouse';
  const tableName = (options.tableOf ?? tableNameOf)(kind);
  const table = `${quoteIdentifier(database)}.${quoteIdentifier(tableName)}`;
  const acks = group.map((batch): WriteAck => ({ sink: 'clickhouse', unitId: batch.unitId, kind, rows: batch.rows, target: table }));
  if (group.every((batch) => batch.rows === 0)) return acks;
  const head = group[0];
  const into = head.stage === undefined ? table
    : `${quoteIdentifier(database)}.${quoteIdentifier(await staging.tableFor(stagingTarget(target, options), { ...head, stage: head.stage }, tableName))}`;
  const constants = group[0].constants;
  const fields = group[0].constantsKey === '' ? KINDS[kind].fields : KINDS[kind].fields.filter((f) => !Object.hasOwn(constants, f.name));
  const settings: ClickHouseSettings = target.features.insertDeduplicationToken ? { insert_deduplicate: 1, insert_deduplication_token: tokenOf(group) } : {};
  for (const batch of group) encodeWaiting(batch, target.format);
  const body = group.length === 1 ? group[0].body as (string | Buffer)[] : group.flatMap((batch) => batch.body as (string | Buffer)[]);
  try {
    await retry(async () => {
      try {
        await insertOnce(target, into, fields, body, settings);
      } catch (error) {
        throw classifyInsertError(error, into);
      }
    }, { ...options.retry, context: { table: into, service: 'clickhouse' } });
  } finally {
    if (settings.insert_deduplication_token !== undefined && isEmbeddedClient(target.client)) await resetSessionToken(target.client);
  }
  return acks;
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
  return batchingSink<Waiting>(() => {
    let client: ClickHouseClient | undefined = options.client;
    let target: Promise<Target> | undefined;
    const formatFor = (c: ClickHouseClient): Target['format'] => options.format ?? (isEmbeddedClient(c) ? 'TabSeparated' : 'RowBinary');
    // The body format, once known (at once for a client passed in): batches are encoded as they arrive.
    let format: Target['format'] | undefined = client === undefined ? options.format : formatFor(client);
    const connect = (): Promise<Target> => (target ??= (async () => {
      client ??= await createClickHouseClient(options.config ?? {});
      format ??= formatFor(client);
      const prepared = options.ready === undefined ? undefined : await options.ready;
      const features = options.features ?? prepared ?? (await probeCapabilities(client));
      return { client, format, features };
    })());
    const staging = new StagingTables(options.database ?? 'lakehouse', options.staleStagingSeconds);
    return {
      prepare: (batch) => {
        const waiting = waitingOf(batch);
        if (format !== undefined) encodeWaiting(waiting, format); // a SinkWriteError naming the record and field (map-row-binary.ts)
        return waiting;
      },
      take: (queue) => takeGroup(queue, options.maxInsertRows ?? MAX_INSERT_ROWS),
      send: async (group, acked) => {
        const acks = group[0].stage?.end !== undefined ? [await endStage(await connect(), staging, group[0], options)] : await insertGroup(await connect(), group, options, staging);
        for (const ack of acks) acked(ack);
      },
      close: () => {
        // Stages still open stopped before their end: their rows must not stay behind (a rerun would replace them).
        const dropped = target === undefined || staging.size === 0 ? Promise.resolve()
          : target.then((t) => staging.dropOpen(t.client), () => undefined);
        // Close a client this sink created, also when connecting or probing failed after it was created.
        if (options.client === undefined && target !== undefined) void dropped.then(() => client?.close());
      },
    };
  });
}

/** A batch as it arrives, in its waiting form (encoded at once when the format is known). */
function waitingOf(batch: RecordBatch): Waiting {
  const { encoded, stage } = batch;
  const rowBinary = encoded !== undefined && isRowBinaryRows(encoded) ? encoded : undefined;
  const constants = rowBinary?.constants ?? {};
  const constantsKey = Object.keys(constants).length === 0 ? '' : JSON.stringify(Object.entries(constants).sort(([a], [b]) => (a < b ? -1 : 1)));
  return encoded === undefined
    ? { kind: batch.kind, unitId: batch.unitId, rows: batch.records.length, records: batch.records as unknown as Rows, body: undefined, encodedAs: null, stage, constants, constantsKey }
    : { kind: batch.kind, unitId: batch.unitId, rows: encoded.rows, records: undefined, body: rowBinary === undefined ? [] : [...rowBinary.chunks], encodedAs: encoded.format, stage, constants, constantsKey };
}
