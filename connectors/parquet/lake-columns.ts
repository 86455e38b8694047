/**
 * Records of one kind mapped onto the lake's column buffers as they arrive, a few thousand at a time, for early
 * encoding (connectors/sink.ts `ParquetColumnRows`): each run is split into its Hive cells (lake-path.ts) and
 * mapped at once (map-column-buffers.ts), so the records can be collected young; `take` joins each cell's runs
 * into the buffers of one file. The result is what the lake sink maps from the same records in one batch (same
 * cells in the same order, same buffers), so the files are the same bytes.
 * Memory: the mapped buffers of the rows since the last `take` (about the encoded size of the rows).
 */
import { parquetColumnsOf, type ParquetColumn } from '../../schemas/parquet-schema.js';
import { KINDS, type AnyRecord, type KindName } from '../../schemas/records.js';
import { cachedPartitionPathOf } from './lake-path.js';
import { concatColumnBuffers, mapColumnBuffers, type ColumnBuffers } from './map-column-buffers.js';
import { columnBytesOf, type ParquetColumnRows } from './parquet-column-rows.js';

type Row = Readonly<Record<string, unknown>>;

/** See the module doc. */
export class LakeColumnsBuilder {
  private readonly columns: readonly ParquetColumn[];
  private readonly partitionPathOf = cachedPartitionPathOf();
  private cells = new Map<string, ColumnBuffers[]>();
  private count = 0;

  constructor(kind: KindName) {
    this.columns = parquetColumnsOf(KINDS[kind]);
  }

  /** Rows added since the last {@link take}. */
  get rows(): number {
    return this.count;
  }

  /**
   * Maps `records` (all of this builder's kind) into their cells. A value its column cannot hold throws the
   * sink's non-retriable `SinkWriteError` (map-column-buffers.ts), and nothing of `records` is kept.
   */
  add(records: readonly AnyRecord[]): void {
    const runs: [string, readonly AnyRecord[]][] = [];
    let start = 0;
    let path = records.length === 0 ? '' : this.partitionPathOf(records[0]);
    for (let i = 1; i < records.length; i++) {
      const next = this.partitionPathOf(records[i]);
      if (next === path) continue;
      runs.push([path, records.slice(start, i)]);
      start = i;
      path = next;
    }
    if (records.length > 0) runs.push([path, start === 0 ? records : records.slice(start)]);
    const mapped = runs.map(([cell, run]) => [cell, mapColumnBuffers(run as unknown as readonly Row[], this.columns)] as const);
    for (const [cell, buffers] of mapped) {
      const parts = this.cells.get(cell);
      if (parts === undefined) this.cells.set(cell, [buffers]);
      else parts.push(buffers);
    }
    this.count += records.length;
  }

  /** The rows added since the last take, one file's buffers per cell, cells in first-seen order. */
  take(): ParquetColumnRows {
    const cells = [...this.cells].map(([path, parts]) => ({ path, buffers: concatColumnBuffers(parts) }));
    const taken: ParquetColumnRows = { format: 'ParquetColumns', rows: this.count, bytes: columnBytesOf(cells), cells };
    this.cells = new Map();
    this.count = 0;
    return taken;
  }
}
