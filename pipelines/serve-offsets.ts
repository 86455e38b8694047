/**
 * Which offset of a partition `serve` may commit. A partition's batches are kept (offsets and highest event
 * time, not their records) from the committed offset on; given the engine's horizon (the event time from which
 * the partition must be re-read, see ServeEngine.horizonUs) the commit is the first offset of the first batch
 * holding a record at or after the horizon — every record still needed lies at or after it — or the end of
 * the last batch when no record is needed any more. The horizon is stored as the commit's metadata: a member
 * that takes the partition over re-reads from the offset and passes records older than the horizon to the
 * sinks only (their bar windows and gap cursors were complete before the commit).
 */
import type { CommitEntry } from '../connectors/kafka/from-kafka.js';

/** A batch pushed into the engine: its offsets and the highest event time of its records that entered the chain. */
interface PushedBatch { readonly firstOffset: bigint; readonly nextOffset: bigint; readonly maxEventUs: number }

const METADATA_PREFIX = 'lakehouse-serve/1 horizonUs=';

/** The commit metadata of a horizon. */
export function horizonMetadata(horizonUs: number): string {
  return `${METADATA_PREFIX}${horizonUs}`;
}

/** The horizon in a commit's metadata; −∞ for none or foreign metadata (everything then goes through the chain). */
export function horizonOfMetadata(metadata: string | null): number {
  if (metadata === null || !metadata.startsWith(METADATA_PREFIX)) return -Infinity;
  const value = Number(metadata.slice(METADATA_PREFIX.length));
  return Number.isNaN(value) ? -Infinity : value;
}

/** The batches of one topic-partition not yet covered by a commit. Memory: three numbers per batch. */
export class PartitionOffsets {
  private readonly batches: PushedBatch[] = [];
  private head = 0;

  /**
   * @param restoredUs the horizon of the commit this member started from: records older than it skip the chain
   */
  constructor(readonly restoredUs: number) {}

  /** Batches held. */
  get size(): number {
    return this.batches.length - this.head;
  }

  /** The first offset still needed (where a re-read starts), or undefined when no batch is held. */
  get firstHeld(): string | undefined {
    return this.head < this.batches.length ? this.batches[this.head].firstOffset.toString() : undefined;
  }

  add(firstOffset: string, lastOffset: string, maxEventUs: number): void {
    this.batches.push({ firstOffset: BigInt(firstOffset), nextOffset: BigInt(lastOffset) + 1n, maxEventUs });
  }

  /** The offset to commit for `horizonUs` (undefined: nothing new), forgetting the batches before it. */
  release(horizonUs: number): string | undefined {
    const start = this.head;
    while (this.head < this.batches.length && this.batches[this.head].maxEventUs < horizonUs) this.head++;
    if (this.head === start) return undefined;
    const offset = this.head < this.batches.length ? this.batches[this.head].firstOffset : this.batches[this.head - 1].nextOffset;
    if (this.head > 64 && this.head * 2 > this.batches.length) { this.batches.splice(0, this.head); this.head = 0; }
    return offset.toString();
  }
}

/** One batch's (or flush's) sink writes and the commits they allow once acknowledged. */
interface Cycle { readonly written: Promise<unknown>; readonly entries: readonly CommitEntry[]; settled: boolean }

/**
 * Commits in input order: a cycle's offsets are committed once its writes and those of every earlier cycle
 * were acknowledged (a later cycle's commit covers an earlier one's partitions too: last entry wins).
 */
export class CommitQueue {
  private readonly cycles: Cycle[] = [];
  private chain: Promise<void> = Promise.resolve();
  commits = 0;

  constructor(private readonly commit: (entries: CommitEntry[]) => Promise<void>, private readonly failed: (error: unknown) => void) {}

  /** Cycles whose writes are outstanding. */
  get inFlight(): number {
    return this.cycles.length;
  }

  /** The oldest outstanding cycle's writes. */
  get oldest(): Promise<unknown> {
    return this.cycles[0]?.written ?? Promise.resolve();
  }

  add(written: Promise<unknown>, entries: readonly CommitEntry[]): void {
    const cycle: Cycle = { written, entries, settled: false };
    this.cycles.push(cycle);
    written.then(() => { cycle.settled = true; this.flushSettled(); }, this.failed);
  }

  /** Every outstanding write settled (acknowledged or failed). */
  settled(): Promise<unknown> {
    return Promise.allSettled(this.cycles.map((c) => c.written));
  }

  /** The commits in progress. */
  committing(): Promise<void> {
    return this.chain;
  }

  private flushSettled(): void {
    const entries = new Map<string, CommitEntry>();
    while (this.cycles.length > 0 && this.cycles[0].settled) {
      for (const entry of (this.cycles.shift() as Cycle).entries) entries.set(`${entry.topic}/${entry.partition}`, entry);
    }
    if (entries.size === 0) return;
    this.chain = this.chain.then(() => this.commit([...entries.values()])).then(() => { this.commits++; }, this.failed);
  }
}
