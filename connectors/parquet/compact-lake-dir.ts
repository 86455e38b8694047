/**
 * Compacting one day partition (`exchange=/market=/type=/symbol=/date=` directory) so that it holds one row per
 * identity key (schemas/records.ts), the highest `version`, as ClickHouse's ReplacingMergeTree(version) keeps.
 * Under the directory's lease (lake-lease.ts `acquireDirLease`: compactors of one directory run one after the
 * other), in this order:
 *
 * 1. put back the parts a killed compaction had moved aside (retired files of dead writers: lake-hidden-files.ts),
 *    and sweep what dead writers left (sweep-lake-dir.ts: a killed compaction's staged parts);
 * 2. list the visible parts (a snapshot: a part published later is neither read nor removed) and read them
 *    (S3: downloaded), each with its tag (lake-store.ts `LocalCopy`) taken before its bytes;
 * 3. put this writer's compaction mark (compaction-marks.ts), so a crash from here on is found by the next run;
 * 4. DuckDB keeps the highest version per key, ordered by event time; the rows are encoded by the lake's own
 *    encoder into parts `compacted-<16 hex>-<n>.parquet` of up to `partRows` rows, written under staged names;
 * 5. publish them, then remove each part read, only while its tag is unchanged (a writer that replaced a part
 *    meanwhile keeps its file: its rows are read by the next compaction);
 * 6. clear the marks of this writer and of dead writers.
 *
 * What a reader globbing `*.parquet` sees: before step 5 the old parts, during it the old and new parts (each key
 * twice: the latest-version views show it once), after it the new parts; never a key missing. A crash before
 * step 5 leaves the old parts (staged files are swept once the writer is dead); a crash during step 5 leaves old
 * and new parts side by side, and the mark — the next compaction reads them all and converges. Skipped without a
 * write: a directory holding only the parts of one earlier compaction, or a single part without repeated keys.
 * With `newOnly` (a minor compaction, for a day still being written) only the parts no compaction wrote are read
 * and replaced, and the marks stay for the full compaction that follows.
 * Memory: the column buffers of one output part (DuckDB spills the dedupe and sort to the scratch directory).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { retry } from '../plumbing/backoff.js';
import type { FieldSpec } from '../../schemas/fields.js';
import { parquetColumnsOf } from '../../schemas/parquet-schema.js';
import { KINDS, type KindName } from '../../schemas/records.js';
import { clearMarks, markDir } from './compaction-marks.js';
import { fieldValueOf } from './from-parquet-lake.js';
import { hiddenFileOf } from './lake-hidden-files.js';
import { acquireDirLease, type UnitLease } from './lake-lease.js';
import { kindOfLakeType } from './lake-path.js';
import type { StagedFile } from './lake-store.js';
import type { LakeWriter } from './lake-writer.js';
import { concatColumnBuffers, mapColumnBuffers, type ColumnBuffers } from './map-column-buffers.js';
import { startParquetEncoder } from './parquet-encoder.js';
import { sweepLakeDir } from './sweep-lake-dir.js';
import { quoteDuckIdentifier, quoteDuckString } from './query-lake.js';

/** Rows per compacted part by default (the column buffers of one part are held while it is encoded). */
export const COMPACTED_PART_ROWS = 1_000_000;

/** What DuckDB may hold in memory while it deduplicates and sorts a partition. */
const DUCKDB_MEMORY = '1GB';

const COMPACTED = /^compacted-([0-9a-f]{16})-\d+\.parquet$/;

/** A step of a compaction done (for progress, and for tests that stop a compaction there). */
export type CompactionStep = 'staged' | 'published' | 'removed';

/** Options of {@link compactLakeDir}. */
export interface CompactDirOptions {
  readonly signal?: AbortSignal;
  /** @default {@link COMPACTED_PART_ROWS} */
  readonly partRows?: number;
  /**
   * Only the parts no compaction wrote, and only when there are two or more: bounds the parts of a day still being
   * written without rereading the day each time. Keys may then repeat across compacted parts (and the marks stay)
   * until a full compaction. @default false
   */
  readonly newOnly?: boolean;
  /** Awaited after each step. */
  readonly onStep?: (step: CompactionStep, dir: string) => void | Promise<void>;
}

/** What one compaction did. */
export interface CompactDirResult {
  readonly dir: string;
  /** Visible parts read. */
  readonly parts: number;
  readonly rowsIn: number;
  readonly rowsOut: number;
  /** Parts written (0: skipped, nothing to do). */
  readonly written: number;
  /** Parts read that a writer replaced meanwhile, so they stayed. */
  readonly kept: number;
}

/** The lake type of a partition directory (its `type=` segment), if it has one. */
function lakeTypeOfDir(dir: string): string | undefined {
  return /(?:^|\/)type=([^/]+)\//.exec(dir)?.[1];
}

/** A visible part as read. */
interface ReadPart { readonly name: string; readonly path: string; readonly tag: string }

/**
 * Steps 1 and 2: what killed compactions and dead writers left is put back or swept, then the visible parts are
 * read; null when they are one earlier compaction's parts (nothing to do).
 */
async function snapshot(writer: LakeWriter, dir: string, scratch: string, options: CompactDirOptions): Promise<ReadPart[] | null> {
  const { store } = writer;
  for (const { name } of await store.list(dir)) {
    const hidden = hiddenFileOf(name);
    if (hidden?.kind === 'retired' && (hidden.writer === writer.id || !(await writer.isLive(hidden.writer as string)))) await store.restoreRetired(dir, name);
  }
  await sweepLakeDir(writer, dir);
  const visible = (await store.list(dir)).map((e) => e.name).filter((name) => hiddenFileOf(name) === null && name.endsWith('.parquet')).sort();
  const names = options.newOnly === true ? visible.filter((name) => !COMPACTED.test(name)) : visible;
  const ids = new Set(names.map((name) => COMPACTED.exec(name)?.[1]));
  if ((ids.size === 1 && !ids.has(undefined)) || (options.newOnly === true && names.length < 2)) return null;
  const parts: ReadPart[] = [];
  for (const name of names) {
    const copy = await store.localCopy(`${dir}/${name}`, scratch, options.signal);
    if (copy !== undefined) parts.push({ name, ...copy });
  }
  return parts;
}

/** Step 5: publishes the new parts, then removes the parts read that are unchanged; returns how many stayed. */
async function replace(writer: LakeWriter, dir: string, staged: readonly StagedFile[], read: readonly ReadPart[], lease: UnitLease, options: CompactDirOptions): Promise<number> {
  const { store } = writer;
  await lease.check();
  for (const file of staged) await retry(() => store.publish(file), { ...(options.signal === undefined ? {} : { signal: options.signal }) });
  await options.onStep?.('published', dir);
  await lease.check();
  let kept = 0;
  for (const part of read) if (!(await retry(() => store.removeIfUnchanged(`${dir}/${part.name}`, part.tag, writer.id)))) kept++;
  await options.onStep?.('removed', dir);
  return kept;
}

/** Compacts directory `dir` (relative to the lake root) as `writer`; see the module doc. */
export async function compactLakeDir(writer: LakeWriter, dir: string, options: CompactDirOptions = {}): Promise<CompactDirResult> {
  const type = lakeTypeOfDir(dir);
  const kind = type === undefined ? undefined : kindOfLakeType(type);
  const nothing = { dir, parts: 0, rowsIn: 0, rowsOut: 0, written: 0, kept: 0 };
  if (kind === undefined) return nothing; // no kind's rows: not ours to rewrite
  const lease = await acquireDirLease(writer, dir, options.signal);
  const scratch = await mkdtemp(join(tmpdir(), 'lake-compact-'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  let staged: StagedFile[] = [];
  try {
    const read = await snapshot(writer, dir, scratch, options);
    const full = options.newOnly !== true;
    if (read === null || read.length === 0) {
      if (full) await clearMarks(writer, dir);
      return nothing;
    }
    await connection.run(`SET temp_directory = ${quoteDuckString(join(scratch, 'duckdb'))}`);
    await connection.run(`SET memory_limit = '${DUCKDB_MEMORY}'`); // beyond it the dedupe and sort spill to disk
    const source = `read_parquet([${read.map((c) => quoteDuckString(c.path)).join(', ')}], union_by_name = true, hive_partitioning = false)`;
    const key = KINDS[kind].key.map(quoteDuckIdentifier).join(', ');
    const counts = await scalarRow(connection, `SELECT count(*) AS n, (SELECT count(*) FROM (SELECT DISTINCT ${key} FROM ${source})) AS k FROM ${source}`);
    if (read.length === 1 && counts.n === counts.k) {
      if (full) await clearMarks(writer, dir);
      return { ...nothing, parts: 1, rowsIn: counts.n, rowsOut: counts.n };
    }
    await markDir(writer, dir);
    const sql = `SELECT * FROM ${source} QUALIFY row_number() OVER (PARTITION BY ${key} ORDER BY version DESC) = 1 ORDER BY eventTimeUs, ${key}`;
    staged = await writeParts(writer, connection, sql, dir, kind, options);
    await options.onStep?.('staged', dir);
    const kept = await replace(writer, dir, staged, read, lease, options);
    if (full) await clearMarks(writer, dir);
    return { dir, parts: read.length, rowsIn: counts.n, rowsOut: counts.k, written: staged.length, kept };
  } catch (error) {
    // The staged names go (a published part no longer has one); best effort: once this writer is gone the sweep takes them.
    for (const file of staged) await writer.store.discard(file).catch(() => undefined);
    throw error;
  } finally {
    connection.closeSync();
    instance.closeSync();
    await lease.release().catch(() => undefined);
    await rm(scratch, { recursive: true, force: true });
  }
}

async function scalarRow(connection: DuckDBConnection, sql: string): Promise<{ n: number; k: number }> {
  const rows = await (await connection.run(sql)).getRowObjectsJS();
  return { n: Number(rows[0]?.n ?? 0), k: Number(rows[0]?.k ?? 0) };
}

/** Streams the deduplicated rows into staged parts of up to `partRows` rows; returns them. */
async function writeParts(writer: LakeWriter, connection: DuckDBConnection, sql: string, dir: string, kind: KindName, options: CompactDirOptions): Promise<StagedFile[]> {
  const fields = KINDS[kind].fields as readonly FieldSpec[];
  const columns = parquetColumnsOf(KINDS[kind]);
  const partRows = options.partRows ?? COMPACTED_PART_ROWS;
  const id = randomBytes(8).toString('hex');
  const encoder = startParquetEncoder({ inWorker: true });
  const staged: StagedFile[] = [];
  let parts: ColumnBuffers[] = [];
  let rows = 0;
  const flush = async (): Promise<void> => {
    const bytes = await encoder.encodeColumns(concatColumnBuffers(parts), columns);
    parts = [];
    rows = 0;
    const path = `${dir}/compacted-${id}-${staged.length}.parquet`;
    staged.push(await retry(() => writer.store.stage(path, bytes, writer.id, options.signal), { signal: options.signal }));
  };
  try {
    const result = await connection.stream(sql);
    for await (const chunk of result.yieldRowObjectJs()) {
      options.signal?.throwIfAborted();
      const records = chunk.map((row) => {
        const record: Record<string, unknown> = {};
        for (const field of fields) record[field.name] = fieldValueOf(row[field.name], field);
        return record;
      });
      parts.push(mapColumnBuffers(records, columns));
      rows += records.length;
      if (rows >= partRows) await flush();
    }
    if (rows > 0) await flush();
    return staged;
  } catch (error) {
    for (const file of staged) await writer.store.discard(file).catch(() => undefined);
    throw error;
  } finally {
    encoder.close();
  }
}
