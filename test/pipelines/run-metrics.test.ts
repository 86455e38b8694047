/**
 * RunMetrics reads the counters a run keeps (live stats, REST limiter, serve report, backfill progress) when
 * scraped, and observes sinks once: rows, batch sizes, latencies and gap states per acknowledgement.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { from, lastValueFrom, map, toArray, type OperatorFunction } from 'rxjs';
import { newLiveStats } from '../../connectors/binance-live/live-stats.js';
import { RestLimiter } from '../../connectors/binance-live/rest-limiter.js';
import type { RecordBatch, WriteAck } from '../../connectors/sink.js';
import { RunMetrics } from '../../pipelines/run-metrics.js';
import type { AnyRecord } from '../../schemas/records.js';
import { DAY_US, trade } from '../operators/support.js';
import { metricValue } from './ops-support.js';

const ackAll: OperatorFunction<RecordBatch, WriteAck> = map((batch) => ({ sink: 'test', unitId: batch.unitId, kind: batch.kind, rows: batch.records.length, target: 'memory' }));

describe('RunMetrics', () => {
  it('follows the live counters and the REST limiter when scraped, 429 and 418 apart, counting each growth once', async () => {
    const metrics = new RunMetrics('stream', 'run-1');
    const stats = newLiveStats();
    const limiter = new RestLimiter({ now: () => 0, sleep: () => Promise.resolve() });
    metrics.watchLive(stats, limiter.stats);
    stats.frames = 10; stats.reconnects = 2; stats.openSockets = 1;
    await limiter.acquire(5);
    limiter.pause(1000, 429); limiter.pause(1000, 418); limiter.pause(1000, 429);
    let text = await metrics.registry.metrics();
    assert.equal(metricValue(text, 'lakehouse_live_frames_total'), 10);
    assert.equal(metricValue(text, 'lakehouse_live_reconnects_total'), 2);
    assert.equal(metricValue(text, 'lakehouse_live_open_sockets'), 1);
    assert.equal(metricValue(text, 'lakehouse_rest_weight_used_total'), 5);
    assert.equal(metricValue(text, 'lakehouse_rest_rate_limited_total{status="429"}'), 2);
    assert.equal(metricValue(text, 'lakehouse_rest_rate_limited_total{status="418"}'), 1);
    assert.equal(metricValue(text, 'lakehouse_run_info{command="stream",run_id="run-1"}'), 1);
    stats.frames = 25;
    text = await metrics.registry.metrics();
    assert.equal(metricValue(text, 'lakehouse_live_frames_total'), 25);
    assert.equal(metricValue(text, 'lakehouse_live_reconnects_total'), 2);
  });

  it('observes a sink: rows per kind, batch sizes, latencies, gap states, the backlog and the newest event time', async () => {
    const metrics = new RunMetrics('stream', 'run-2');
    metrics.watchLive(newLiveStats());
    const trades = [1, 2, 3].map((id) => trade(id, DAY_US + id * 1000));
    const gap = { ...trades[0], kind: 'gap', state: 'unfillable' } as unknown as AnyRecord;
    const received = await lastValueFrom(from([...trades, gap]).pipe(metrics.countRecords(), toArray()));
    assert.equal(received.length, 4);
    assert.equal(metrics.backlog, 4);
    const batches: RecordBatch[] = [{ kind: 'trade', unitId: 'u#0', records: trades }, { kind: 'gap', unitId: 'u#1', records: [gap] }];
    await lastValueFrom(from(batches).pipe(metrics.observeSink('parquet', ackAll, true), toArray()));
    const text = await metrics.registry.metrics();
    assert.equal(metricValue(text, 'lakehouse_sink_rows_total{sink="parquet",kind="trade"}'), 3);
    assert.equal(metricValue(text, 'lakehouse_sink_batch_rows_count{sink="parquet"}'), 2);
    assert.equal(metricValue(text, 'lakehouse_sink_write_seconds_count{sink="parquet"}'), 2);
    assert.equal(metricValue(text, 'lakehouse_gaps_total{state="unfillable"}'), 1);
    assert.equal(metricValue(text, 'lakehouse_backlog_records'), 0);
    assert.equal(metricValue(text, `lakehouse_records_received_total{kind="trade",symbol="${trades[0].symbol}"}`), 3);
    const delay = metricValue(text, 'lakehouse_watermark_delay_seconds{sink="parquet",kind="trade"}') ?? NaN;
    assert.ok(Math.abs(delay - (Date.now() / 1000 - (DAY_US + 3000) / 1e6)) < 60, String(delay));
  });

  it('counts backfill progress and the serve report, and shows only the metrics of the command that runs', async () => {
    const metrics = new RunMetrics('backfill', 'run-3');
    const seen: string[] = [];
    const progress = metrics.observeProgress({ file: () => seen.push('file'), bytes: () => seen.push('bytes'), rows: () => seen.push('rows'), stop: () => seen.push('stop') }, { files: 4, bytes: null });
    progress.file(); progress.bytes(100); progress.rows(7); progress.stop();
    assert.deepEqual(seen, ['file', 'bytes', 'rows', 'stop']);
    const text = await metrics.registry.metrics();
    assert.equal(metricValue(text, 'lakehouse_backfill_files_total'), 1);
    assert.equal(metricValue(text, 'lakehouse_backfill_bytes_total'), 100);
    assert.equal(metricValue(text, 'lakehouse_backfill_rows_total'), 7);
    assert.equal(metricValue(text, 'lakehouse_backfill_planned_files'), 4);
    assert.doesNotMatch(text, /lakehouse_live_|lakehouse_serve_|lakehouse_backlog_records/);
    const serve = new RunMetrics('serve', 'run-4');
    const report = { batches: 2, records: 50, outputs: 60, bars: 3, gaps: 1, deadLetters: 0, commits: 0, flushes: 0, restarts: 1, streams: 2, duplicatesDropped: 4 };
    serve.watchServe(report);
    serve.watchConsumerLag(() => Promise.resolve(new Map([['md.t/0', 7]])));
    const served = await serve.registry.metrics();
    assert.equal(metricValue(served, 'lakehouse_serve_records_total'), 50);
    assert.equal(metricValue(served, 'lakehouse_serve_restarts_total'), 1);
    assert.equal(metricValue(served, 'lakehouse_serve_streams'), 2);
    assert.equal(metricValue(served, 'lakehouse_serve_duplicates_dropped_total'), 4);
    assert.equal(metricValue(served, 'lakehouse_consumer_lag_records{topic="md.t",partition="0"}'), 7);
  });
});
