/**
 * `lakehouse replay` into Kafka, end to end on the real broker and registry: a captured USD-M session is played
 * as fast as possible through the live client into Kafka topics under a per-run `--topic-prefix` (the Kafka
 * sink runs on its worker thread), and a consumer group reads back every aggTrade of the capture.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { fromKafka } from '../../connectors/kafka/from-kafka.js';
import { replayCommand } from '../../pipelines/replay.js';
import type { AnyRecord } from '../../schemas/records.js';
import { realFixture } from '../support/fixtures.js';
import { kafkaService, registryService } from '../support/services.js';

const RUN = `itr${Date.now().toString(36)}${process.pid}.`;

test('replay --sink kafka --topic-prefix writes the captured aggTrades to <prefix>md.binance.um.aggTrades', { timeout: 180_000 }, async (t) => {
  const [kafka, registry] = await Promise.all([kafkaService(), registryService()]);
  if (kafka === undefined || registry === undefined) { t.skip('Kafka or Schema Registry not configured'); return; }
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (c) => { text += String(c); });
  const status = await replayCommand.run(
    ['--market', 'um', '--capture', realFixture('BINANCE_FUTURES.ws.1.0'), '--http', realFixture('BINANCE_FUTURES.http.0.0'), '--speed', 'max',
      '--sink', 'kafka', '--kafka-brokers', kafka.brokers.join(','), '--schema-registry-url', registry.url, '--topic-prefix', RUN, '--batch-ms', '50'],
    { env: {}, stdout, stderr: new PassThrough(), signal: new AbortController().signal },
  );
  assert.equal(status, 0, text);
  assert.match(text, /aggTrade 91/);
  const topic = `${RUN}md.binance.um.aggTrades`;
  const back = await new Promise<AnyRecord[]>((resolve, reject) => {
    const got: AnyRecord[] = [];
    const subscription = fromKafka({ kafka, registry, topics: [topic], groupId: `${RUN}group` }).subscribe({
      next: (batch) => {
        got.push(...batch.records);
        void batch.commit().then(() => { if (got.length >= 91) { subscription.unsubscribe(); resolve(got); } }, reject);
      },
      error: reject,
    });
  });
  assert.equal(back.length, 91);
  assert.ok(back.every((r) => r.kind === 'aggTrade' && r.market === 'um'));
  assert.equal(new Set(back.map((r) => `${r.symbol}/${r.kind === 'aggTrade' ? r.aggTradeId : ''}`)).size, 91);
});
