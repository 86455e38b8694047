/**
 * The staging tables of one ClickHouse sink (connectors/sink.ts `Stage`: an archive file loaded whole or not at
 * all). Each sink subscription names its own: `<table>__stage_<hash of the stage id>_<writer>`. Two processes
 * loading the same file at once (a redelivered work item, two backfills over one day) therefore never write
 * into, re-create or drop each other's staging table; each commits its complete copy, and the two copies
 * collapse on the identity key. A killed run's tables stay behind, never read; the first staging table a
 * sink creates sweeps those whose metadata is older than `staleAfterSeconds` (a day by default: far longer
 * than any file takes to load).
 */
import { randomBytes, createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { clickhouseTableDdl, quoteIdentifier } from '../../schemas/clickhouse-ddl.js';
import { SinkWriteError } from '../../schemas/errors.js';
import { KINDS, type KindName } from '../../schemas/records.js';
import type { Stage } from '../sink.js';
import type { ClickHouseFeatures } from './probe-capabilities.js';
import { quoteString } from './sql-literal.js';

/** A staging table whose metadata is older than this is a killed run's leftover. */
export const STALE_STAGING_SECONDS = 86_400;

/** What a staged batch tells the staging tables. */
export interface StagedBatch {
  readonly kind: KindName;
  readonly unitId: string;
  readonly stage: Stage;
  /** Columns left out of the rows, given as the staging table's column defaults. */
  readonly constants: Readonly<Record<string, string>>;
  /** `constants` as a key: a stage's batches must all leave out the same columns. */
  readonly constantsKey: string;
}

/** The sink's connection, and how it runs one statement (with its retry policy). */
export interface StagingTarget {
  readonly client: ClickHouseClient;
  readonly features: ClickHouseFeatures;
  readonly run: (query: string, what: string) => Promise<void>;
}

/** Stage id's part of a staging table's name (shared by every writer of that stage). */
export function stagingPrefixOf(table: string, stageId: string): string {
  return `${table}__stage_${createHash('sha256').update(stageId).digest('hex').slice(0, 16)}`;
}

/** The staging tables of one sink subscription; see the module comment. */
export class StagingTables {
  /** stage id → kind's table → its staging table (once created) and the column defaults it was created with. */
  private readonly open = new Map<string, Map<string, { readonly created: Promise<string>; readonly constantsKey: string }>>();
  private readonly writer = randomBytes(4).toString('hex');
  private swept: Promise<void> | undefined;

  constructor(private readonly database: string, private readonly staleAfterSeconds = STALE_STAGING_SECONDS) {}

  /** Stages begun and not ended. */
  get size(): number {
    return this.open.size;
  }

  /** This sink's staging table for `table` in the batch's stage, created from the kind's DDL on first use. */
  tableFor(target: StagingTarget, batch: StagedBatch, table: string): Promise<string> {
    const stageId = batch.stage.id;
    let tables = this.open.get(stageId);
    if (tables === undefined) this.open.set(stageId, (tables = new Map()));
    const existing = tables.get(table);
    if (existing !== undefined) {
      if (existing.constantsKey !== batch.constantsKey) {
        throw new SinkWriteError(`batch ${batch.unitId} leaves out other constant columns than the rest of its stage ${stageId}`, { service: 'clickhouse' }, { retriable: false });
      }
      return existing.created;
    }
    const name = `${stagingPrefixOf(table, stageId)}_${this.writer}`;
    const columnDefaults = Object.fromEntries(Object.entries(batch.constants).map(([column, value]) => [column, quoteString(value)]));
    const created = (async () => {
      await (this.swept ??= this.sweepStale(target).catch(() => undefined)); // a failed sweep only leaves leftovers
      // The kind's own DDL, not `CREATE TABLE … AS`: the 18.16 server re-parses the stored metadata of `klines`
      // and reads its unquoted `interval` column as an INTERVAL expression.
      const [ddl] = clickhouseTableDdl(KINDS[batch.kind], target.features, { database: this.database, table: name, columnDefaults });
      await target.run(ddl as string, this.qualified(name));
      return name;
    })();
    tables.set(table, { created, constantsKey: batch.constantsKey });
    return created;
  }

  /**
   * Commits (attaches every staged partition to its table) or aborts a stage; drops its staging tables. A
   * staging table that vanished before its commit (dropped by hand, or swept as stale) fails the commit:
   * attaching nothing and acknowledging would lose the file's rows.
   */
  async end(target: StagingTarget, stage: Stage): Promise<void> {
    const tables = this.open.get(stage.id) ?? new Map<string, { created: Promise<string> }>();
    this.open.delete(stage.id);
    for (const [table, { created }] of tables) {
      const name = stage.end === 'commit' ? await created : await created.catch(() => null); // an abort drops what exists
      if (name === null) continue;
      if (stage.end === 'commit') await this.attach(target, name, table);
      await target.run(`DROP TABLE IF EXISTS ${this.qualified(name)}`, this.qualified(name));
    }
  }

  /** Drops the staging tables of stages left open (the input stopped before their end); errors are ignored. */
  async dropOpen(client: ClickHouseClient): Promise<void> {
    const open = [...this.open.values()];
    this.open.clear();
    for (const tables of open) {
      for (const { created } of tables.values()) {
        const name = await created.catch(() => null);
        if (name !== null) await client.command({ query: `DROP TABLE IF EXISTS ${this.qualified(name)}` }).catch(() => undefined);
      }
    }
  }

  private async attach(target: StagingTarget, name: string, table: string): Promise<void> {
    const into = this.qualified(table);
    const partitions = await this.select<{ partition_id: string }>(target.client,
      `SELECT DISTINCT partition_id FROM system.parts WHERE database = ${quoteString(this.database)} AND table = ${quoteString(name)} AND active ORDER BY partition_id`);
    if (partitions.length === 0) {
      const exists = await this.select<{ name: string }>(target.client, `SELECT name FROM system.tables WHERE database = ${quoteString(this.database)} AND name = ${quoteString(name)}`);
      if (exists.length === 0) {
        throw new SinkWriteError(`staging table ${this.qualified(name)} vanished before its commit into ${into}; its rows were not attached`, { table: into, service: 'clickhouse' }, { retriable: false });
      }
    }
    for (const { partition_id: id } of partitions) {
      await target.run(`ALTER TABLE ${into} ATTACH PARTITION ID ${quoteString(id)} FROM ${this.qualified(name)}`, into);
    }
  }

  /** Drops staging tables of this database whose metadata is older than the bound (killed runs' leftovers). */
  private async sweepStale(target: StagingTarget): Promise<void> {
    const stale = await this.select<{ name: string }>(target.client,
      `SELECT name FROM system.tables WHERE database = ${quoteString(this.database)} AND match(name, '__stage_[0-9a-f]{16}(_[0-9a-f]+)?$') `
      + `AND metadata_modification_time < now() - ${Math.max(0, Math.floor(this.staleAfterSeconds))}`);
    for (const { name } of stale) await target.run(`DROP TABLE IF EXISTS ${this.qualified(name)}`, this.qualified(name));
  }

  private async select<T>(client: ClickHouseClient, query: string): Promise<T[]> {
    const result = await client.query({ query, format: 'JSONEachRow' });
    return result.json<T>();
  }

  private qualified(name: string): string {
    return `${quoteIdentifier(this.database)}.${quoteIdentifier(name)}`;
  }
}
