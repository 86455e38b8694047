/**
 * `lakehouse serve --metrics-port`: while it consumes, /metrics shows its counters growing (records consumed,
 * rows written to ClickHouse, dedupe hits, consumer lag); /readyz is ready, turns unready when ClickHouse goes away (a TCP
 * proxy shut) and ready again when it comes back; stopping the command closes the server.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { from, lastValueFrom, toArray } from 'rxjs';
import { toKafka } from '../../connectors/kafka/to-kafka.js';
import { topicFor } from '../../connectors/kafka/topic-for.js';
import { serveCommand } from '../../pipelines/serve.js';
import { makeVersion, type AnyRecord } from '../../schemas/index.js';
import { DAY_US, trade } from '../operators/support.js';
import { metricValue, scrape, waitFor } from '../pipelines/ops-support.js';
import { clickhouseService, kafkaService, registryService } from '../support/services.js';
import { clickhouseScalar } from './serve-support.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const RUN = `sm${Date.now().toString(36)}${process.pid}`;

function trades(from: number, count: number): AnyRecord[] {
  return Array.from({ length: count }, (_, i) => trade(from + i, DAY_US + (from + i) * 10_000, { symbol: 'METRICUSDT', source: 'ws', version: makeVersion('ws', 1_000), ingestId: 'ws' }));
}

async function readyz(url: string): Promise<{ status: number; body: { ready: boolean; checks: Record<string, string> } }> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: await response.json() as { ready: boolean; checks: Record<string, string> } };
}

test('serve metrics change while it consumes; /readyz follows ClickHouse going away and coming back', { timeout: 300_000 }, async (t) => {
  const [kafka, registry, clickhouse] = await Promise.all([kafkaService(), registryService(), clickhouseService()]);
  if (kafka === undefined || registry === undefined || clickhouse === undefined) return t.skip('services not configured');
  const database = `${RUN}_db`;
  const produce = (records: AnyRecord[], unit: string): Promise<unknown> =>
    lastValueFrom(from([{ kind: 'trade' as const, unitId: `${RUN}#${unit}`, records }]).pipe(toKafka({ kafka, registry, topicOf: (r) => `${RUN}.${topicFor(r)}`, partitions: 1 }), toArray()));
  await produce(trades(1, 5_000), 'a');
  const proxy = new TcpProxy(new URL(clickhouse.url));
  await proxy.open();
  t.after(() => proxy.shut());
  await clickhouseScalar(t, clickhouse, database);
  const stderr = new PassThrough();
  let log = '';
  stderr.on('data', (chunk) => { log += String(chunk); });
  const stop = new AbortController();
  const serving = serveCommand.run(['--group-id', `${RUN}-group`, '--topic-prefix', `${RUN}.`, '--sink', 'clickhouse', '--clickhouse-database', database,
    '--intervals', '1m', '--idle-flush', '1s', '--clickhouse-url', `http://127.0.0.1:${proxy.port}`,
    '--clickhouse-user', clickhouse.username, '--clickhouse-password', clickhouse.password,
    '--kafka-brokers', kafka.brokers.join(','), '--schema-registry-url', registry.url,
    '--metrics-port', '0', '--log-format', 'json', '--progress-interval', '200ms'], { env: {}, stdout: new PassThrough(), stderr, signal: stop.signal });
  try {
    const url = await waitFor(() => /"url":"(http:\/\/[^"]+)"/.exec(log)?.[1]);
    const before = await waitFor(async () => { const s = await scrape(url); return (metricValue(s, 'lakehouse_serve_records_total') ?? 0) >= 5_000 ? s : undefined; });
    const consumed = metricValue(before, 'lakehouse_serve_records_total') ?? 0;
    assert.equal(metricValue(before, 'lakehouse_serve_duplicates_dropped_total'), 0, 'no copies in the first batch');
    // The second batch repeats each of its first 100 trades right after the original: 100 dedupe hits.
    await produce(trades(5_001, 5_000).flatMap((r, i) => (i < 100 ? [r, r] : [r])), 'b');
    const text = await waitFor(async () => { const s = await scrape(url); return (metricValue(s, 'lakehouse_serve_records_total') ?? 0) >= consumed + 5_100 ? s : undefined; });
    assert.ok((metricValue(text, 'lakehouse_serve_duplicates_dropped_total') ?? 0) >= 100, text);
    assert.ok((metricValue(text, 'lakehouse_sink_rows_total{sink="clickhouse",kind="trade"}') ?? 0) > 0, text);
    assert.ok((metricValue(text, 'lakehouse_sink_write_seconds_count{sink="clickhouse"}') ?? 0) > 0);
    assert.notEqual(metricValue(text, `lakehouse_consumer_lag_records{topic="${RUN}.${topicFor(trades(1, 1)[0])}",partition="0"}`), undefined, text);

    const ready = await waitFor(async () => { const r = await readyz(url); return r.status === 200 ? r : undefined; });
    assert.deepEqual(ready.body, { ready: true, checks: { clickhouse: 'ok', kafka: 'ok', consumerGroup: 'ok' } });
    proxy.shut();
    const unready = await waitFor(async () => { const r = await readyz(url); return r.status === 503 ? r : undefined; });
    assert.equal(unready.body.ready, false);
    assert.notEqual(unready.body.checks.clickhouse, 'ok');
    await proxy.open();
    await waitFor(async () => ((await readyz(url)).status === 200 ? true : undefined));

    stop.abort();
    assert.equal(await serving, 0);
    await assert.rejects(fetch(`${url}/healthz`), 'the metrics server is closed with the command');
  } finally {
    stop.abort();
    await serving.catch(() => undefined);
  }
  assert.match(log, /"command":"serve".*"msg":"progress"/);
});
