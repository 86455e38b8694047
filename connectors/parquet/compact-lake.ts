/**
 * Compacting a lake (local or `s3://`): first the directories dead writers marked (compaction-marks.ts: a
 * compaction or a serving process killed before it finished), then every day partition the selection names
 * (markets, lake types, symbols, UTC days), one at a time with compact-lake-dir.ts. One writer (lake-writer.ts)
 * does it all, its heartbeat removed at the end. Idempotent: a second run finds the directories compacted
 * already and rewrites nothing.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client, type S3Config } from '../s3/config.js';
import { compactLakeDir, type CompactDirOptions, type CompactDirResult } from './compact-lake-dir.js';
import { deadMarkedDirs } from './compaction-marks.js';
import { hiveValue } from './lake-path.js';
import { lakeStoreFor } from './lake-store-for.js';
import type { LakeStore } from './lake-store.js';
import { startLakeWriter, type LakeLeaseOptions } from './lake-writer.js';

/** Which day partitions {@link compactLake} compacts (each unset: all). */
export interface LakeSelection {
  readonly markets?: readonly string[];
  /** Lake types (`trades`, `klines_1m`); a kline prefix alone (`klines`) names every interval of it. */
  readonly types?: readonly string[];
  readonly symbols?: readonly string[];
  /** First UTC day, inclusive (`YYYY-MM-DD`). */
  readonly fromDay?: string;
  /** Last UTC day, inclusive. */
  readonly toDay?: string;
}

/** Options of {@link compactLake}. */
export interface CompactLakeOptions extends LakeSelection, Pick<CompactDirOptions, 'signal' | 'partRows' | 'onStep'> {
  /** A local directory or `s3://bucket/prefix`. */
  readonly root: string;
  readonly s3?: S3Config;
  readonly s3Client?: S3Client;
  readonly lease?: LakeLeaseOptions;
  /** Called with the directories to do, before the first. */
  readonly onPlan?: (dirs: readonly string[]) => void;
  /** Called after each directory. */
  readonly onDir?: (result: CompactDirResult) => void;
}

/** What a run did. */
export interface CompactLakeReport {
  /** Directories looked at (the marked ones first). */
  dirs: number;
  /** Of them, marked by a dead writer. */
  recovered: number;
  /** Directories rewritten. */
  compacted: number;
  rowsIn: number;
  rowsOut: number;
  /** Parts a writer replaced during their compaction, left for the next one. */
  kept: number;
}

/** The subdirectories `<key>=<value>` of `dir` whose value passes `keep`, as paths. */
async function levelOf(store: LakeStore, dir: string, key: string, keep: (value: string) => boolean): Promise<string[]> {
  const prefix = `${key}=`;
  return (await store.listDirs(dir)).filter((name) => name.startsWith(prefix) && keep(name.slice(prefix.length)))
    .sort().map((name) => (dir === '' ? name : `${dir}/${name}`));
}

function typeMatches(type: string, wanted: readonly string[] | undefined): boolean {
  return wanted === undefined || wanted.length === 0 || wanted.some((w) => type === w || type.startsWith(`${w}_`));
}

/** The day partitions of the selection, in path order. */
export async function lakeDayDirs(store: LakeStore, selection: LakeSelection): Promise<string[]> {
  const any = (values: readonly string[] | undefined, value: string): boolean => values === undefined || values.length === 0 || values.some((v) => hiveValue(v) === value);
  const days: string[] = [];
  for (const exchange of await levelOf(store, '', 'exchange', () => true)) {
    for (const market of await levelOf(store, exchange, 'market', (m) => any(selection.markets, m))) {
      for (const type of await levelOf(store, market, 'type', (t) => typeMatches(t, selection.types))) {
        for (const symbol of await levelOf(store, type, 'symbol', (s) => any(selection.symbols?.map((x) => x.toUpperCase()), s))) {
          days.push(...await levelOf(store, symbol, 'date', (d) => (selection.fromDay === undefined || d >= selection.fromDay) && (selection.toDay === undefined || d <= selection.toDay)));
        }
      }
    }
  }
  return days;
}

/** Compacts the marked directories, then the selected ones; stops between directories when `signal` aborts. */
export async function compactLake(options: CompactLakeOptions): Promise<CompactLakeReport> {
  const ownsClient = options.s3Client === undefined && options.s3 !== undefined;
  const client = options.s3Client ?? (options.s3 === undefined ? undefined : createS3Client(options.s3));
  const writer = startLakeWriter(lakeStoreFor(options.root, client), options.lease);
  const report: CompactLakeReport = { dirs: 0, recovered: 0, compacted: 0, rowsIn: 0, rowsOut: 0, kept: 0 };
  try {
    const marked = await deadMarkedDirs(writer);
    const selected = await lakeDayDirs(writer.store, options);
    const dirs = [...marked, ...selected.filter((dir) => !marked.includes(dir))];
    report.recovered = marked.length;
    options.onPlan?.(dirs);
    const dirOptions: CompactDirOptions = {
      ...(options.signal === undefined ? {} : { signal: options.signal }), ...(options.partRows === undefined ? {} : { partRows: options.partRows }),
      ...(options.onStep === undefined ? {} : { onStep: options.onStep }),
    };
    const stopped = (): boolean => options.signal?.aborted === true;
    for (const dir of dirs) {
      if (stopped()) break;
      let result: CompactDirResult;
      try {
        result = await compactLakeDir(writer, dir, dirOptions);
      } catch (error) {
        if (stopped()) break; // abandoned where it stood: the next run finishes it (its mark)
        throw error;
      }
      report.dirs++;
      if (result.written > 0) report.compacted++;
      report.rowsIn += result.rowsIn;
      report.rowsOut += result.rowsOut;
      report.kept += result.kept;
      options.onDir?.(result);
    }
    return report;
  } finally {
    await writer.close().catch(() => undefined);
    if (ownsClient) client?.destroy();
  }
}
