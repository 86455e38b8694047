/**
 * The serving engine's restart contract, without Kafka: a partition read in batches, "killed" after any batch
 * with only what its commit allows kept (the offset below which the state needs nothing, and the horizon in
 * its metadata), then re-read by a fresh engine from that commit, gives the same final tables as a run that
 * was never interrupted — every trade once, every bar with the same values, every gap — when the outputs of
 * both runs are collapsed by identity and version as ClickHouse `FINAL` does.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { identityKeyOf, makeVersion, type AnyRecord, type TradeRecord } from '../../schemas/index.js';
import { ServeEngine, alignedDown, provisional } from '../../pipelines/serve-engine.js';
import { PartitionOffsets, horizonMetadata, horizonOfMetadata } from '../../pipelines/serve-offsets.js';
import type { ServePipelineOptions } from '../../pipelines/serve-pipeline.js';
import { DAY_US, trade } from '../operators/support.js';

const OPTIONS: ServePipelineOptions = { intervals: ['1m', '5m'], allowedLatenessUs: 1_000_000, fill: 'none', mergeIdleTimeoutMs: 0 };
const BATCH = 40;

/** Two symbols' live trades over ~12 minutes, ids with holes, slightly out of order, in one partition. */
function partitionRecords(): TradeRecord[] {
  const records: TradeRecord[] = [];
  let seed = 7;
  const random = (): number => { seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31; return seed / 2 ** 31; };
  const ids: Record<string, number> = { BTCUSDT: 100, ETHUSDT: 5_000 };
  for (let i = 0; i < 1_200; i++) {
    const symbol = random() < 0.6 ? 'BTCUSDT' : 'ETHUSDT';
    ids[symbol] += random() < 0.02 ? 3 : 1; // a hole now and then
    const timeUs = DAY_US + i * 600_000 - Math.floor(random() * 300_000);
    records.push(trade(ids[symbol], timeUs, {
      symbol, source: 'ws', version: makeVersion('ws', 1_000 + i), price: 100 + Math.floor(random() * 50), ingestId: `t/0/${i}`,
    }));
  }
  return records;
}

/** Outputs collapsed as ReplacingMergeTree FINAL: per identity the highest version, the later insert on a tie. */
function final(outputs: readonly AnyRecord[]): Map<string, string> {
  const rows = new Map<string, AnyRecord>();
  for (const record of outputs) {
    const key = identityKeyOf(record);
    const held = rows.get(key);
    if (held === undefined || record.version >= held.version) rows.set(key, record);
  }
  const content = new Map<string, string>();
  for (const [key, record] of rows) {
    const { ingestId: _i, version: _v, ...fields } = record as AnyRecord & Record<string, unknown>;
    content.set(key, JSON.stringify(fields));
  }
  return content;
}

/** Reads batches `from`..end into a fresh engine; `restoredUs` as a commit's metadata gives it. */
function read(records: readonly TradeRecord[], fromOffset: number, restoredUs: number, until = records.length): { outputs: AnyRecord[]; engine: ServeEngine; offsets: PartitionOffsets } {
  const engine = new ServeEngine(OPTIONS);
  const offsets = new PartitionOffsets(restoredUs);
  const outputs: AnyRecord[] = [];
  for (let first = fromOffset; first < until; first += BATCH) {
    const batch = records.slice(first, Math.min(first + BATCH, until));
    const chained = batch.filter((r) => r.eventTimeUs >= restoredUs);
    outputs.push(...batch.filter((r) => r.eventTimeUs < restoredUs), ...engine.push(chained, 0));
    offsets.add(String(first), String(first + batch.length - 1), Math.max(...chained.map((r) => r.eventTimeUs)));
  }
  return { outputs, engine, offsets };
}

describe('ServeEngine', () => {
  const records = partitionRecords();
  const whole = read(records, 0, -Infinity);
  const expected = final([...whole.outputs, ...whole.engine.flush()]);

  it('an uninterrupted run keeps every trade once and builds bars and gaps', () => {
    const trades = [...expected.keys()].filter((k) => k.startsWith('trade'));
    assert.equal(trades.length, new Set(records.map((r) => `${r.symbol}/${r.tradeId}`)).size);
    assert.ok([...expected.values()].some((v) => v.includes('"source":"resample"') && v.includes('"interval":"5m"')));
    assert.ok([...expected.keys()].some((k) => k.startsWith('gap')));
  });

  it('a run killed after any batch and re-read from its commit ends with the same final rows', () => {
    for (let cut = BATCH; cut < records.length; cut += BATCH) {
      const before = read(records, 0, -Infinity, cut);
      const horizon = before.engine.horizonUs(0);
      const offset = before.offsets.release(horizon);
      const restored = horizonOfMetadata(horizonMetadata(Number.isFinite(horizon) ? horizon : -Infinity));
      const after = read(records, offset === undefined ? 0 : Number(offset), offset === undefined ? -Infinity : restored);
      const outputs = [...before.outputs, ...after.outputs, ...after.engine.flush()];
      assert.deepEqual(final(outputs), expected, `killed after offset ${cut - 1}, re-read from ${offset} (horizon ${horizon})`);
    }
  });

  it('the horizon is a window start of every interval and below every record the state holds', () => {
    const run = read(records, 0, -Infinity, 600);
    const horizon = run.engine.horizonUs(0);
    assert.equal(alignedDown(horizon, ['1m', '5m']), horizon);
    assert.equal(horizon % 300_000_000, 0);
    assert.ok(horizon <= Math.max(...records.slice(0, 600).map((r) => r.eventTimeUs)) - OPTIONS.allowedLatenessUs);
    assert.equal(run.engine.horizonUs(1), Infinity); // a partition it never read holds nothing
  });

  it('looks each record\'s stream up once for the whole chain (merge, dedupe, gaps, bars, its own bookkeeping)', () => {
    const run = read(records, 0, -Infinity);
    assert.equal(run.engine.streamLookups, records.length);
    run.engine.flush();
    assert.equal(run.engine.streamLookups, records.length);
  });

  it('a provisional bar loses to the closed bar of its window', () => {
    const bar = run1mBar();
    const open = provisional(bar);
    assert.equal(open.isClosed, false);
    assert.ok(open.version < bar.version);
  });
});

function run1mBar(): AnyRecord & { kind: 'kline' } {
  const engine = new ServeEngine(OPTIONS);
  const out = engine.push([trade(1, DAY_US, { source: 'ws' }), trade(2, DAY_US + 61_000_000 + 1_000_000, { source: 'ws' }), trade(3, DAY_US + 200_000_000, { source: 'ws' }), trade(4, DAY_US + 400_000_000, { source: 'ws' }), trade(5, DAY_US + 600_000_000, { source: 'ws' })], 0);
  const bar = out.find((r) => r.kind === 'kline');
  assert.ok(bar !== undefined && bar.kind === 'kline');
  return bar;
}

describe('PartitionOffsets', () => {
  it('commits up to the first batch holding a record at or after the horizon', () => {
    const offsets = new PartitionOffsets(-Infinity);
    offsets.add('0', '9', 100);
    offsets.add('10', '19', 250);
    offsets.add('20', '29', 180);
    assert.equal(offsets.release(50), undefined);
    assert.equal(offsets.release(200), '10');
    assert.equal(offsets.firstHeld, '10');
    assert.equal(offsets.release(300), '30');
    assert.equal(offsets.firstHeld, undefined);
  });

  it('keeps the horizon in the commit metadata, and ignores foreign metadata', () => {
    assert.equal(horizonOfMetadata(horizonMetadata(123)), 123);
    assert.equal(horizonOfMetadata(horizonMetadata(-Infinity)), -Infinity);
    assert.equal(horizonOfMetadata(null), -Infinity);
    assert.equal(horizonOfMetadata('something else'), -Infinity);
  });
});
