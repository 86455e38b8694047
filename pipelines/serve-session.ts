/**
 * One session of `lakehouse serve`: a consumer-group member, its {@link ServeEngine} and its sinks, until the
 * signal aborts or something fails (the caller then starts a new session, which rebuilds the state from the
 * commits). Per Kafka batch: push it into the engine, write every output to every sink, and — once those
 * writes and all earlier ones were acknowledged — commit the offsets the engine no longer needs (see
 * serve-offsets.ts). A rebalance drops the engine: the member re-reads its partitions from their commits.
 *
 * While `maxInFlight` write cycles are outstanding, the outputs of further batches are gathered and written as
 * one cycle once one of them is acknowledged (one insert per kind however many batches; commits computed then,
 * from the engine's state after all of them): a slow sink gets fewer, larger writes instead of a queue of
 * small ones. Reading waits while {@link MAX_GATHERED} outputs are gathered.
 *
 * When no batch came for `idleFlushMs`, the engine is flushed (the records it held back reach the sinks, open
 * bar windows as provisional bars) and replaced by a fresh one that re-reads what the old one still needed,
 * from the same offsets a restart would: the tail of a finished input is written, and the state is the same
 * as if the process had been restarted.
 *
 * Every write cycle has a unit id of its own (see {@link Session.unitOf}): a second read of the same offsets
 * yields other outputs, and a sink that took a known unit id for a replay of the same records would lose some.
 */
import { randomBytes } from 'node:crypto';
import { concatMap, type Observable, type OperatorFunction } from 'rxjs';
import { coPartitionAssigner } from '../connectors/kafka/co-partition-assigner.js';
import { fromKafka, type CommitEntry, type FromKafkaOptions, type KafkaBatch, type KafkaGroup } from '../connectors/kafka/from-kafka.js';
import type { RegistryConfig } from '../connectors/kafka/avro-serde.js';
import type { KafkaConfig } from '../connectors/kafka/config.js';
import { batchesByKind, type RecordBatch, type WriteAck } from '../connectors/sink.js';
import { ConnectorError } from '../schemas/errors.js';
import type { AnyRecord } from '../schemas/records.js';
import { ServeEngine } from './serve-engine.js';
import { CommitQueue, PartitionOffsets, horizonMetadata, horizonOfMetadata } from './serve-offsets.js';
import type { ServePipelineOptions } from './serve-pipeline.js';
import { sinkWriter } from './sink-writer.js';

/** Counters of a serving run (all sessions). */
export interface ServeReport {
  batches: number; records: number; outputs: number; bars: number; gaps: number; deadLetters: number;
  commits: number; flushes: number; restarts: number; streams: number;
  /** Copies dropped by dedupe (dedupe hits). */
  duplicatesDropped: number;
}

/** What a session needs. */
export interface SessionOptions {
  /** The brokers and their TLS/SASL settings. */
  readonly kafka: KafkaConfig;
  /** The schema registry and its credentials. */
  readonly registry: RegistryConfig;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly fromBeginning: boolean;
  readonly chain: ServePipelineOptions;
  /** Sinks of every output (ClickHouse, the lake). */
  readonly sinks: readonly OperatorFunction<RecordBatch, WriteAck>[];
  /** The sink of derived outputs only (bars, indicators and gaps to Kafka). */
  readonly derived?: OperatorFunction<RecordBatch, WriteAck>;
  readonly maxInFlight: number;
  readonly idleFlushMs: number;
  readonly report: ServeReport;
  readonly onProgress?: () => void;
  /** The consumer-group member's batches. @default fromKafka (a test passes a consumer of its own) */
  readonly consume?: (options: FromKafkaOptions) => Observable<KafkaBatch>;
}

/** How long a stopping session waits for in-flight writes, then for its last commit (ms); the rest of 10 s is teardown. */
const DRAIN_MS = 5_000;
const COMMIT_MS = 2_000;
/**
 * Bytes a fetch asks for per partition. kafkajs fetches the next records only after every batch of the last
 * fetch was handled, so each fetch is a round trip the process waits for: 4 MiB (kafkajs' default is 1) makes a
 * quarter as many of them, and spares kafkajs' per-fetch and per-batch work.
 */
const FETCH_BYTES_PER_PARTITION = 4 * 1024 * 1024;
/** Outputs gathered for the next write cycle at most, while the sinks are busy; reading waits beyond it. */
export const MAX_GATHERED = 100_000;

function isDerived(record: AnyRecord): boolean {
  return record.kind === 'gap' || record.kind === 'indicator' || (record.kind === 'kline' && record.source === 'resample');
}

function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The state of one session between batches. */
class Session {
  engine: ServeEngine;
  generation = -1;
  ledgers = new Map<string, PartitionOffsets>();
  /** Where each partition's next batch must start after a flush re-read (batches fetched before the seek are dropped). */
  readonly expected = new Map<string, bigint>();
  group: KafkaGroup | undefined;
  lastBatchMs = Date.now();
  /** Offsets read when the engine was last flushed: no second flush until something new was read. */
  flushedAt = '';
  /** The offset after the last batch read, per partition. */
  readonly readTo = new Map<string, string>();
  readonly all: ReturnType<typeof sinkWriter>;
  readonly derived: ReturnType<typeof sinkWriter> | undefined;
  readonly commits: CommitQueue;
  /** Outputs waiting for the next write cycle, and the offsets of the batches they came from, per partition. */
  private gathered: AnyRecord[] = [];
  /** Gathered records for the stores only (see {@link Session.handle}). */
  private gatheredPassed: AnyRecord[] = [];
  private readonly gatheredFrom = new Map<string, { readonly first: string; last: string }>();
  /** Tells this session's write cycles from those of every other session, in this process or another. */
  private readonly id = randomBytes(6).toString('hex');
  private cycles = 0;

  constructor(readonly options: SessionOptions, failed: (error: unknown) => void) {
    this.engine = new ServeEngine(options.chain);
    this.all = sinkWriter(options.sinks);
    this.derived = options.derived === undefined ? undefined : sinkWriter([options.derived]);
    this.commits = new CommitQueue((entries) => (this.group as KafkaGroup).commit(entries), failed);
  }

  /** Pushes one batch, writes its outputs and queues its commits; false for a batch to skip (fetched before a seek). */
  async handle(batch: KafkaBatch): Promise<boolean> {
    this.group = batch.group;
    this.lastBatchMs = Date.now();
    if (batch.generation !== this.generation) await this.renew(batch.generation);
    const key = `${batch.topic}/${batch.partition}`;
    const expected = this.expected.get(key);
    if (expected !== undefined && BigInt(batch.firstOffset) !== expected) return false; // fetched before a seek: comes again
    this.expected.delete(key);
    this.readTo.set(key, batch.lastOffset);
    const ledger = this.ledgers.get(key) ?? await this.ledgerOf(batch, key);
    // To the stores only: dead letters, the layers' own gap records (their fates were settled where they were
    // found; never written back to Kafka, where serve's derived gaps are read again) and what the restored state covers.
    const passed: AnyRecord[] = [];
    const chained: AnyRecord[] = [];
    let maxEventUs = -Infinity;
    for (const record of batch.records) {
      if (record.kind === 'deadLetter' || record.kind === 'gap' || record.eventTimeUs < ledger.restoredUs) {
        passed.push(record);
      } else {
        chained.push(record);
        if (record.eventTimeUs > maxEventUs) maxEventUs = record.eventTimeUs;
      }
    }
    const droppedBefore = this.engine.duplicatesDropped;
    const outputs = this.engine.push(chained, batch.partition, ledger.restoredUs);
    this.options.report.duplicatesDropped += this.engine.duplicatesDropped - droppedBefore;
    ledger.add(batch.firstOffset, batch.lastOffset, maxEventUs);
    this.gather(outputs, passed, key, batch);
    this.options.report.batches++;
    this.options.report.records += batch.records.length;
    this.options.report.streams = this.engine.streamCount;
    return true;
  }

  /** Outputs gathered for the next write cycle. */
  get gatheredCount(): number {
    return this.gathered.length + this.gatheredPassed.length;
  }

  /** Adds a batch's outputs to the next write cycle, and writes it unless `maxInFlight` cycles are outstanding. */
  private gather(outputs: readonly AnyRecord[], passed: readonly AnyRecord[], key: string, batch: KafkaBatch): void {
    if (this.gathered.length === 0) this.gathered = outputs as AnyRecord[];
    else for (let i = 0; i < outputs.length; i++) this.gathered.push(outputs[i]);
    for (let i = 0; i < passed.length; i++) this.gatheredPassed.push(passed[i]);
    const from = this.gatheredFrom.get(key);
    if (from === undefined) this.gatheredFrom.set(key, { first: batch.firstOffset, last: batch.lastOffset });
    else from.last = batch.lastOffset;
    if (this.commits.inFlight < this.options.maxInFlight) this.writeGathered();
  }

  /** Writes the gathered outputs as one cycle, with the commits the engine's state allows now. */
  writeGathered(): void {
    if (this.gatheredFrom.size === 0) return;
    const from = [...this.gatheredFrom].map(([key, { first, last }]) => `${key}/${first}-${last}`).join(',');
    const outputs = this.gathered;
    const passed = this.gatheredPassed;
    this.gathered = [];
    this.gatheredPassed = [];
    this.gatheredFrom.clear();
    this.write(outputs, this.unitOf(from), this.releasable(), passed);
  }

  /** Flushes an idle engine (see the module comment); false when there was nothing new to flush. */
  flush(): boolean {
    const position = [...this.readTo].map(([key, offset]) => `${key}@${offset}`).sort().join(',');
    if (this.group === undefined || this.engine.streamCount === 0 || position === this.flushedAt) return false;
    this.writeGathered();
    const horizons = this.horizons();
    const entries = this.releasable(horizons);
    this.write(this.engine.flush(), this.unitOf(`flush/${position}`), entries);
    this.engine.close();
    this.engine = new ServeEngine(this.options.chain);
    const ledgers = new Map<string, PartitionOffsets>();
    for (const [key, ledger] of this.ledgers) {
      const partition = Number(key.slice(key.lastIndexOf('/') + 1));
      const horizon = horizons.get(partition) ?? Infinity;
      const from = ledger.firstHeld;
      if (from === undefined) {
        ledgers.set(key, new PartitionOffsets(ledger.restoredUs)); // nothing of it held: read on where it was
      } else {
        ledgers.set(key, new PartitionOffsets(horizon));
        this.expected.set(key, BigInt(from));
        this.group.seek(key.slice(0, key.lastIndexOf('/')), partition, from);
      }
    }
    this.ledgers = ledgers;
    this.flushedAt = position;
    this.options.report.flushes++;
    return true;
  }

  /**
   * The unit id of a write cycle: what it read (for people), then this session's id and the cycle's number, so
   * never another cycle's. What serve writes for some offsets depends on the engine's state, not on the offsets
   * alone: a re-read after an idle flush or a restart (where the generation counts from 1 again) writes other
   * records for them than the first read did, and a sink that took a known unit id for a replay of the same
   * records would lose the difference (the lake replaces the unit's parts; a server with insert dedup tokens
   * drops the insert). Copies written twice converge on the identity key (ReplacingMergeTree, lake compaction).
   */
  private unitOf(read: string): string {
    return `serve/${read}/g${this.generation}/${this.id}-${++this.cycles}`;
  }

  private async renew(generation: number): Promise<void> {
    this.writeGathered();
    await this.commits.settled();
    await this.commits.committing();
    this.engine.close();
    this.engine = new ServeEngine(this.options.chain);
    this.ledgers = new Map();
    this.expected.clear();
    this.readTo.clear();
    this.flushedAt = '';
    this.generation = generation;
  }

  private async ledgerOf(batch: KafkaBatch, key: string): Promise<PartitionOffsets> {
    const committed = await batch.group.committed(batch.topic, batch.partition);
    if (committed.offset !== '-1' && BigInt(batch.firstOffset) > BigInt(committed.offset)) {
      throw new ConnectorError(`serve: ${key} resumed at offset ${batch.firstOffset}, after its committed offset ${committed.offset}`, { topic: batch.topic });
    }
    const ledger = new PartitionOffsets(horizonOfMetadata(committed.metadata));
    this.ledgers.set(key, ledger);
    return ledger;
  }

  private horizons(): Map<number, number> {
    const horizons = new Map<number, number>();
    for (const key of this.ledgers.keys()) {
      const partition = Number(key.slice(key.lastIndexOf('/') + 1));
      if (!horizons.has(partition)) horizons.set(partition, this.engine.horizonUs(partition));
    }
    return horizons;
  }

  /** The commits the engine's state allows now, per partition with its horizon as metadata. */
  private releasable(horizons = this.horizons()): CommitEntry[] {
    const entries: CommitEntry[] = [];
    for (const [key, offsets] of this.ledgers) {
      const partition = Number(key.slice(key.lastIndexOf('/') + 1));
      const horizon = horizons.get(partition) ?? Infinity;
      const offset = offsets.release(horizon);
      if (offset !== undefined) entries.push({ topic: key.slice(0, key.lastIndexOf('/')), partition, offset, metadata: horizonMetadata(Number.isFinite(horizon) ? horizon : -Infinity) });
    }
    return entries;
  }

  /** Writes the engine's `outputs` to every sink (the derived ones to the derived sink too) and `passed` to the stores. */
  private write(outputs: readonly AnyRecord[], unit: string, entries: readonly CommitEntry[], passed: readonly AnyRecord[] = []): void {
    const stored = passed.length === 0 ? outputs : [...passed, ...outputs];
    count(this.options.report, stored);
    const writes: Promise<unknown>[] = batchesByKind(stored, (kind) => `${unit}#${kind}`).map((b) => this.all.write(b));
    if (this.derived !== undefined) {
      const derived = this.derived;
      writes.push(...batchesByKind(outputs.filter(isDerived), (kind) => `${unit}#derived-${kind}`).map((b) => derived.write(b)));
    }
    const written = Promise.all(writes);
    this.commits.add(written, entries);
    // A cycle acknowledged: what was gathered meanwhile goes out (after the commit the ack allowed was queued).
    written.then(() => { if (this.commits.inFlight < this.options.maxInFlight) this.writeGathered(); }, () => undefined);
  }

  close(): void {
    this.engine.close();
    this.all.close();
    this.derived?.close();
  }
}

/** Runs one session until `signal` aborts (resolves) or a consumer, sink or commit fails (rejects). */
export async function runSession(options: SessionOptions, signal: AbortSignal): Promise<void> {
  let failed: (error: unknown) => void = () => undefined;
  const failure = new Promise<never>((_, reject) => { failed = reject; });
  failure.catch(() => undefined);
  const session = new Session(options, failed);
  let work: Promise<void> = Promise.resolve();
  const serial = (task: () => Promise<void> | void): Promise<void> => (work = work.then(task));
  const idleNow = (): boolean => !signal.aborted && Date.now() - session.lastBatchMs >= options.idleFlushMs;
  const idle = setInterval(() => {
    if (idleNow()) void serial(() => { if (idleNow()) session.flush(); }).catch(failed);
  }, Math.max(50, Math.min(1000, options.idleFlushMs / 2)));
  let subscription: { unsubscribe(): void } | undefined;
  const consumed = new Promise<void>((resolve, reject) => {
    subscription = (options.consume ?? fromKafka)({
      kafka: options.kafka, registry: options.registry, groupId: options.groupId,
      topics: options.topics, fromBeginning: options.fromBeginning, partitionAssigners: [coPartitionAssigner], maxBytesPerPartition: FETCH_BYTES_PER_PARTITION,
    }).pipe(concatMap((batch) => serial(async () => {
      if (signal.aborted) return;
      if (!await session.handle(batch)) { batch.skip(); return; }
      options.onProgress?.();
      while (session.gatheredCount >= MAX_GATHERED && !signal.aborted) await Promise.race([session.commits.oldest, failure]);
      session.lastBatchMs = Date.now(); // idle is measured from the last release: waiting on the sinks is not
      batch.release();
    }))).subscribe({ error: reject, complete: resolve });
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
    failure.catch(reject);
  });
  try {
    await consumed;
  } finally {
    clearInterval(idle);
    // Drain: what was gathered, in-flight writes, then their commits, each within its deadline, before the consumer leaves.
    session.writeGathered();
    await within(session.commits.settled(), DRAIN_MS);
    await within(session.commits.committing(), COMMIT_MS);
    options.report.commits = session.commits.commits + options.report.commits;
    subscription?.unsubscribe();
    session.close();
  }
}

function count(report: ServeReport, outputs: readonly AnyRecord[]): void {
  report.outputs += outputs.length;
  for (const record of outputs) {
    if (record.kind === 'gap') report.gaps++;
    else if (record.kind === 'deadLetter') report.deadLetters++;
    else if (record.kind === 'kline' && record.source === 'resample') report.bars++;
  }
}
