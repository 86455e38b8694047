/**
 * The chaos suite (`npm run test:chaos`; not part of `npm test`): real services, real processes, faults at
 * seeded random moments (the seed is printed; `CHAOS_SEED=<n>` repeats a run). Every scenario ends by comparing
 * the final tables and lake with the source — nothing lost, nothing twice — and adds a row to the table of
 * faults and outcomes printed at the end. Needs the services of the integration tests (see test/run.sh).
 */
import { after, test } from 'node:test';
import { ChaosLog } from '../support/chaos-log.js';
import { removeTempDirs } from '../pipelines/backfill-support.js';
import { backfillKill, backfillS3Bursts } from './backfill-chaos.js';
import { kafkaBrokerRestart } from './kafka-chaos.js';
import { serveBaseline, serveClickHouseDown, serveKill } from './serve-chaos.js';
import { streamFeedFaults, streamKill } from './stream-chaos.js';

const RUN = `ch${Date.now().toString(36)}${process.pid}`;
const log = new ChaosLog();
after(async () => {
  console.log(`\n${log.table()}\n`);
  await removeTempDirs();
});

test('backfill: kill -9 at seeded moments, then a rerun: lake and ClickHouse equal the archive', { timeout: 900_000 }, (t) => log.run('backfill → lake + ClickHouse', 'kill -9', (row) => backfillKill(t, log, row, RUN)));
test('backfill into s3://: S3 answers 503 in seeded bursts, then a rerun: the lake equals the archive', { timeout: 900_000 }, (t) => log.run('backfill → s3:// lake', 'S3 503 SlowDown bursts (HTTP proxy)', (row) => backfillS3Bursts(t, log, row, RUN)));
test('serve without faults (the baseline): ClickHouse and the lake equal Kafka', { timeout: 900_000 }, (t) => log.run('serve → ClickHouse + lake', 'none (baseline)', (row) => serveBaseline(t, row, RUN)));
test('serve: kill -9 twice at seeded points, then a run to the end: ClickHouse and the lake equal Kafka', { timeout: 900_000 }, (t) => log.run('serve → ClickHouse + lake', 'kill -9', (row) => serveKill(t, log, row, RUN)));
test('serve: ClickHouse unreachable for 30 s: serve waits and resumes, ClickHouse and the lake equal Kafka', { timeout: 900_000 }, (t) => log.run('serve → ClickHouse + lake', 'ClickHouse down 30 s (TCP proxy)', (row) => serveClickHouseDown(t, log, row, RUN)));
test('Kafka broker restart while backfill --sink kafka and serve run: ClickHouse and the lake equal the archive', { timeout: 900_000 }, (t) => log.run('backfill → Kafka → serve → ClickHouse + lake', 'Kafka broker stopped and started (private broker)', (row) => kafkaBrokerRestart(t, log, row, RUN)));
test('stream: a malformed frame and a stalled socket at seeded points: the lake holds every played id once', { timeout: 900_000 }, (t) => log.run('stream → lake (replay server)', 'malformed frame, stalled socket', (row) => streamFeedFaults(t, log, row)));
test('stream: kill -9 at a seeded point, restart, then gaps --fill rest: the lake holds every played id once', { timeout: 900_000 }, (t) => log.run('stream → lake (replay server)', 'kill -9, restart', (row) => streamKill(t, log, row)));
