import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { fromColumns, toColumns, type ColumnarBatch } from '../../../connectors/kafka/columnar-batch.js';
import type { RecordBatch } from '../../../connectors/sink.js';
import { KINDS, type AnyRecord, type KindName } from '../../../schemas/records.js';
import { sampleRecords } from '../../support/sample-records.js';

/** Posts a columnar batch through a real message port, transferring its buffers, and reads it back. */
function throughPort(batch: RecordBatch): RecordBatch {
  const columnar = toColumns(batch);
  assert.ok(columnar !== undefined, `${batch.kind} fits its field table`);
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(columnar.batch, columnar.transfer);
  const received = receiveMessageOnPort(port2)?.message as ColumnarBatch;
  port1.close();
  for (const buffer of columnar.transfer) assert.equal(buffer.byteLength, 0, 'buffers are transferred, not copied');
  return fromColumns(received);
}

describe('columnar batches (to the Kafka worker)', () => {
  for (const kind of Object.keys(KINDS) as KindName[]) {
    it(`${kind}: every field of every record comes back identical, nulls included`, () => {
      const records = sampleRecords(kind, 6); // variants alternate: nullable fields filled, then null
      const back = throughPort({ kind, unitId: `u/${kind}`, records });
      assert.equal(back.unitId, `u/${kind}`);
      assert.deepEqual(back.records, records);
    });
  }

  it('keeps values that look alike apart: 0 and null, false and null, "" and null, an empty array and null', () => {
    const [base] = sampleRecords('depthUpdate', 1) as Extract<AnyRecord, { kind: 'depthUpdate' }>[];
    const records = [{ ...base, bidPrices: [], bidQtys: [], symbol: '' }, { ...base, bidPrices: [0, -0.5, 1e300], bidQtys: [1, 2, 3] }];
    assert.deepEqual(throughPort({ kind: 'depthUpdate', unitId: 'u', records }).records, records);
    const trades = sampleRecords('trade', 2).map((r, i) => ({ ...r, isBestMatch: i === 0 ? false : null, quoteQty: i === 0 ? 0 : null }));
    assert.deepEqual(throughPort({ kind: 'trade', unitId: 'u', records: trades }).records, trades);
  });

  it('a record that does not fit its field table gives no columns (the batch goes as objects)', () => {
    const [trade] = sampleRecords('trade', 1);
    for (const broken of [{ ...trade, price: '1.5' }, { ...trade, tradeId: undefined }, { ...trade, isBuyerMaker: null }, { ...trade, symbol: 7 }]) {
      assert.equal(toColumns({ kind: 'trade', unitId: 'u', records: [trade, broken as unknown as AnyRecord] }), undefined);
    }
    const [depth] = sampleRecords('depthUpdate', 1);
    assert.equal(toColumns({ kind: 'depthUpdate', unitId: 'u', records: [{ ...depth, askQtys: [1, 'x'] } as unknown as AnyRecord] }), undefined);
  });

  it('an empty batch round-trips', () => {
    assert.deepEqual(throughPort({ kind: 'kline', unitId: 'u', records: [] }).records, []);
  });
});
