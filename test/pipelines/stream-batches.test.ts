import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lastValueFrom, of, toArray } from 'rxjs';
import { makeGap } from '../../connectors/binance-live/gap-record.js';
import { mapBinanceFrame } from '../../connectors/binance-live/map-binance-frame.js';
import { parseWsCapture } from '../../connectors/binance-replay/capture-file.js';
import { cachedStreamKeyOf } from '../../operators/stream-key-cache.js';
import { batchesOf, toLiveBatches } from '../../pipelines/live-batches.js';
import type { AnyRecord } from '../../schemas/records.js';
import { realFixtureText } from '../support/fixtures.js';

const records: AnyRecord[] = parseWsCapture(realFixtureText('BINANCE_FUTURES.ws.1.0')).frames.slice(0, 300).flatMap((f) => {
  const decoded = mapBinanceFrame(f.raw, 'um', f.receiveMs);
  return decoded.type === 'records' ? decoded.records : [];
});

describe('live batches', () => {
  it('makes one batch per kind and stream, in arrival order, every record kept', () => {
    const batches = batchesOf(records);
    assert.equal(batches.reduce((n, b) => n + b.records.length, 0), records.length);
    for (const batch of batches) assert.ok(batch.records.every((r) => r.kind === batch.kind && r.symbol === batch.records[0].symbol));
    const sushiDepth = batches.find((b) => b.kind === 'depthUpdate' && b.records[0].symbol === 'SUSHIUSDT')!;
    assert.match(sushiDepth.unitId, /^ws:binance\.um\.depthUpdate\.SUSHIUSDT:600859600917-\d+#\d+\.v\d+$/);
  });

  it('gives the same records the same unit ids, and a gap re-reported as filled a different one', () => {
    assert.deepEqual(batchesOf(records).map((b) => b.unitId), batchesOf(records.map((r) => ({ ...r }))).map((b) => b.unitId));
    const spec = { market: 'um', symbol: 'SUSHIUSDT', dataType: 'aggTrade', fromUs: 1, toUs: 2, cause: 'ws_disconnect', ingestId: 'x' } as const;
    const open = batchesOf([makeGap({ ...spec, state: 'open', receiveMs: 1000 })])[0];
    const filled = batchesOf([makeGap({ ...spec, state: 'filled', receiveMs: 2000 })])[0];
    assert.notEqual(open.unitId, filled.unitId);
  });

  it('groups the same way with cached stream keys, gaps apart from the records of their stream', () => {
    const gap = makeGap({ market: 'um', symbol: 'SUSHIUSDT', dataType: 'depthUpdate', fromUs: 1, toUs: 2, cause: 'ws_disconnect', ingestId: 'x', state: 'reported', receiveMs: 1000 });
    const mixed = [...records.slice(0, 150), gap, ...records.slice(150)];
    const keyOf = cachedStreamKeyOf();
    assert.deepEqual(batchesOf(mixed, keyOf), batchesOf(mixed));
    assert.deepEqual(batchesOf(mixed, keyOf), batchesOf(mixed, keyOf));
    assert.equal(batchesOf(mixed).filter((b) => b.kind === 'gap').length, 1);
  });

  it('cuts batches by row count', async () => {
    const batches = await lastValueFrom(of(...records).pipe(toLiveBatches({ windowMs: 60_000, maxRows: 100 }), toArray()));
    assert.equal(batches.reduce((n, b) => n + b.records.length, 0), records.length);
    const perWindow = Math.max(...batches.map((b) => b.records.length));
    assert.ok(perWindow <= 100);
  });
});
