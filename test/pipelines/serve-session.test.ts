/**
 * A serve session against a fake consumer-group member (one partition whose batches always end at the same
 * offsets, as when the data was in Kafka before serve started) and two sinks: one that keeps every insert (as
 * ClickHouse does) and a local lake. A second read of the same offsets — a restart from the commit, or the
 * re-read after an idle flush, in a generation that counts from 1 again or not at all — produces other outputs
 * for them than the first read did (the merge's held records of the earlier batch went out with the first
 * write; a fresh engine holds its own tail back). The lake must keep every trade the first write brought.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Observable, map, type OperatorFunction } from 'rxjs';
import type { KafkaBatch, KafkaGroup } from '../../connectors/kafka/from-kafka.js';
import { queryLake } from '../../connectors/parquet/query-lake.js';
import { toParquetLake } from '../../connectors/parquet/to-parquet-lake.js';
import type { RecordBatch, WriteAck } from '../../connectors/sink.js';
import { runSession, type ServeReport } from '../../pipelines/serve-session.js';
import { makeVersion, type TradeRecord } from '../../schemas/index.js';
import { DAY_US, trade } from '../operators/support.js';
import { removeTempDirs, tempDir } from './backfill-support.js';

after(removeTempDirs);

const TOPIC = 'md.binance.spot.trade';
const BATCH = 300;
/** A minute boundary: the first batch ends before it, the second starts at it, so the commit after the second is 300. */
const MINUTE_US = DAY_US + 60_000_000;

/** 600 trades 20 ms apart, the first 300 in the 6 s before {@link MINUTE_US}. */
function tradeLog(): TradeRecord[] {
  return Array.from({ length: 2 * BATCH }, (_, i) => trade(i + 1, MINUTE_US - 6_000_000 + i * 20_000, {
    source: 'ws', version: makeVersion('ws', 1_000), ingestId: `${TOPIC}/0/${i}`,
  }));
}

/** One partition and the group's commit of it, kept across members as the broker keeps them. */
class Broker {
  committed: { offset: string; metadata: string | null } = { offset: '-1', metadata: null };
  readonly seeks: string[] = [];

  constructor(private readonly log: readonly TradeRecord[]) {}

  /** A member: reads from the commit, one batch outstanding at a time; a fetch from an offset always ends at the same one. */
  readonly consume = (): Observable<KafkaBatch> => new Observable<KafkaBatch>((subscriber) => {
    let position = this.committed.offset === '-1' ? 0 : Number(this.committed.offset);
    let seekTo: number | undefined;
    let wake = (): void => undefined;
    let stopped = false;
    const group: KafkaGroup = {
      commit: async (entries) => { for (const e of entries) this.committed = { offset: e.offset, metadata: e.metadata ?? null }; },
      seek: (_topic, _partition, offset) => { this.seeks.push(offset); seekTo = Number(offset); wake(); },
      committed: async () => this.committed,
    };
    void (async () => {
      while (!stopped) {
        if (seekTo !== undefined) { position = seekTo; seekTo = undefined; }
        if (position >= this.log.length) { await new Promise<void>((resolve) => { wake = resolve; }); continue; }
        const first = position;
        const last = Math.min(first + BATCH, this.log.length) - 1;
        const records = this.log.slice(first, last + 1).map((r) => ({ ...r }));
        await new Promise<void>((resolve) => {
          subscriber.next({
            topic: TOPIC, partition: 0, firstOffset: String(first), lastOffset: String(last), records, generation: 1, group,
            commit: async () => undefined, release: () => { position = last + 1; resolve(); }, skip: resolve,
          });
        });
      }
    })();
    return () => { stopped = true; wake(); };
  });
}

/** A sink that keeps every insert, as ClickHouse does (ReplacingMergeTree; 18.16 has no insert dedup window): the trade ids it got. */
function keepingEveryInsert(ids: Set<number>): OperatorFunction<RecordBatch, WriteAck> {
  return map((batch) => {
    for (const record of batch.records) if (record.kind === 'trade') ids.add(record.tradeId);
    return { sink: 'clickhouse', unitId: batch.unitId, kind: batch.kind, rows: batch.records.length, target: 'memory' };
  });
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** A session over `broker` into both sinks; `stop` (given the report) says when to end it. */
async function serve(broker: Broker, lake: string, inserted: Set<number>, idleFlushMs: number, stop: (report: ServeReport) => Promise<void>): Promise<ServeReport> {
  const report: ServeReport = { batches: 0, records: 0, outputs: 0, bars: 0, gaps: 0, deadLetters: 0, commits: 0, flushes: 0, restarts: 0, streams: 0, duplicatesDropped: 0 };
  const abort = new AbortController();
  const run = runSession({
    kafka: { brokers: [] }, registry: { url: 'http://registry.invalid' }, groupId: 'g', topics: [TOPIC], fromBeginning: true,
    chain: { intervals: ['1m'], allowedLatenessUs: 1_000_000, fill: 'none' },
    sinks: [keepingEveryInsert(inserted), toParquetLake({ root: lake, encodeInWorker: false })],
    maxInFlight: 4, idleFlushMs, report, consume: broker.consume,
  }, abort.signal);
  await Promise.race([stop(report).then(() => abort.abort()), run]);
  await run;
  return report;
}

async function lakeTradeIds(lake: string): Promise<Set<number>> {
  return new Set((await queryLake({ root: lake, sql: 'SELECT DISTINCT tradeId FROM trades' })).map((row) => Number(row.tradeId)));
}

/** The trade ids `inserted` has and `lake` lacks, as runs `first-last`. */
function missing(inserted: ReadonlySet<number>, lake: ReadonlySet<number>): string[] {
  const ids = [...inserted].filter((id) => !lake.has(id)).sort((a, b) => a - b);
  const runs: [number, number][] = [];
  for (const id of ids) {
    const run = runs.at(-1);
    if (run !== undefined && run[1] === id - 1) run[1] = id; else runs.push([id, id]);
  }
  return runs.map(([first, last]) => `${first}-${last}`);
}

describe('serve session: a second read of the same offsets', () => {
  it('a restart from the commit leaves every trade of the first run in the lake', { timeout: 60_000 }, async () => {
    const broker = new Broker(tradeLog());
    const lake = await tempDir('serve-session-restart');
    const inserted = new Set<number>();
    await serve(broker, lake, inserted, 3_600_000, (report) => until(() => report.batches === 2 && broker.committed.offset === String(BATCH)));
    const before = await lakeTradeIds(lake);
    assert.deepEqual(missing(inserted, before), [], 'the first run wrote every trade to both sinks');
    // The next member (after kill -9 or a failed session) counts generations from 1 again and re-reads 300-599.
    await serve(broker, lake, inserted, 3_600_000, (report) => until(() => report.batches === 1));
    assert.deepEqual(missing(inserted, await lakeTradeIds(lake)), [], 'every trade ClickHouse got is in the lake');
  });

  it('the re-read after an idle flush leaves every trade in the lake', { timeout: 60_000 }, async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() }); // idle only when the test says so
    const broker = new Broker(tradeLog());
    const lake = await tempDir('serve-session-flush');
    const inserted = new Set<number>();
    const report = await serve(broker, lake, inserted, 1_000, async (r) => {
      await until(() => r.batches === 2 && broker.committed.offset === String(BATCH));
      t.mock.timers.tick(1_000);
      await until(() => r.flushes === 1 && r.batches === 3);
    });
    assert.deepEqual(broker.seeks, [String(BATCH)], 'the flush sent the member back to the commit, 300');
    assert.equal(report.flushes, 1);
    assert.equal(inserted.size, 2 * BATCH, 'the flush wrote what the engine held');
    assert.deepEqual(missing(inserted, await lakeTradeIds(lake)), [], 'every trade ClickHouse got is in the lake');
  });
});
