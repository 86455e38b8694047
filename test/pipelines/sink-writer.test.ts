import { test } from 'node:test';
import assert from 'node:assert/strict';
import { from, lastValueFrom, mergeMap, toArray, type OperatorFunction } from 'rxjs';
import type { RecordBatch, WriteAck } from '../../connectors/sink.js';
import { sinkWriter, writeEach, writeInOrder } from '../../pipelines/sink-writer.js';

const batch = (n: number): RecordBatch => ({ kind: 'trade', unitId: `u${n}`, records: [] });
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A sink acknowledging each batch when the test opens its gate (acks in arrival order of the gates). */
function gatedSink(): { sink: OperatorFunction<RecordBatch, WriteAck>; gates: Map<string, (error?: Error) => void> } {
  const gates = new Map<string, (error?: Error) => void>();
  const sink: OperatorFunction<RecordBatch, WriteAck> = (batches) => batches.pipe(mergeMap((b) => new Promise<WriteAck>((resolve, reject) => {
    gates.set(b.unitId, (error) => (error === undefined ? resolve({ sink: 'test', unitId: b.unitId, kind: b.kind, rows: 0, target: 't' }) : reject(error)));
  })));
  return { sink, gates };
}

test('writeInOrder pulls the next batch only while fewer than inFlight wait, and resolves once every batch was acknowledged', async () => {
  const { sink, gates } = gatedSink();
  const writer = sinkWriter([sink]);
  const pulled: number[] = [];
  async function* batches(): AsyncGenerator<RecordBatch> { for (let n = 1; n <= 4; n++) { pulled.push(n); yield batch(n); } }
  let done = false;
  const written = writeInOrder(writer, batches(), 2).then(() => { done = true; });
  await tick();
  assert.deepEqual(pulled, [1, 2], 'two in flight, the third not pulled yet');
  gates.get('u1')?.();
  await tick();
  assert.deepEqual(pulled, [1, 2, 3]);
  for (const n of [2, 3]) { gates.get(`u${n}`)?.(); await tick(); }
  assert.equal(done, false, 'u4 still waits');
  gates.get('u4')?.();
  await written;
  writer.close();
});

test('writeInOrder rejects with a failed write once every write it started settled, and pulls no more', async () => {
  const settled: string[] = [];
  const sink: OperatorFunction<RecordBatch, WriteAck> = (batches) => batches.pipe(mergeMap(async (b) => {
    await new Promise((resolve) => setTimeout(resolve, b.unitId === 'u1' ? 1 : 20));
    settled.push(b.unitId);
    return { sink: 'test', unitId: b.unitId, kind: b.kind, rows: 0, target: 't' };
  }));
  // The writer's own failure path is a sink error; a single write failing is modelled by a writer that rejects one.
  const inner = sinkWriter([sink]);
  const writer = { ...inner, write: (b: RecordBatch) => (b.unitId === 'u1' ? inner.write(b).then(() => { throw new Error('disk full'); }) : inner.write(b)) };
  const pulled: number[] = [];
  async function* batches(): AsyncGenerator<RecordBatch> { for (let n = 1; n <= 10; n++) { pulled.push(n); yield batch(n); } }
  await assert.rejects(writeInOrder(writer, batches(), 3), /disk full/);
  assert.deepEqual(pulled, [1, 2, 3]);
  assert.deepEqual(settled.sort(), ['u1', 'u2', 'u3'], 'every started write settled before the rejection');
  inner.close();
});

test('writes wait for the sinks\' preparation, and never reach a sink when it failed', async () => {
  const seen: string[] = [];
  const sink: OperatorFunction<RecordBatch, WriteAck> = (batches) => batches.pipe(mergeMap(async (b) => { seen.push(b.unitId); return { sink: 'test', unitId: b.unitId, kind: b.kind, rows: 0, target: 't' }; }));
  let prepare!: () => void;
  const ready = new Promise<void>((resolve) => { prepare = resolve; });
  const writer = sinkWriter([sink], { ready });
  const written = writer.write(batch(1));
  await tick();
  assert.deepEqual(seen, []);
  prepare();
  await written;
  assert.deepEqual(seen, ['u1']);
  writer.close();
  const failed = sinkWriter([sink], { ready: Promise.reject(new Error('migration refused')) });
  let settledWrite = false;
  void failed.write(batch(2)).finally(() => { settledWrite = true; });
  await tick();
  assert.deepEqual(seen, ['u1'], 'nothing written after a failed preparation');
  assert.equal(settledWrite, false, 'the write waits: the caller stops on the preparation\'s rejection');
  failed.close();
});

test('writeEach emits each batch once every sink acknowledged it, in input order', async () => {
  const { sink, gates } = gatedSink();
  const writer = sinkWriter([sink]);
  const out = lastValueFrom(from([batch(1), batch(2), batch(3)]).pipe(writeEach(writer, 2), toArray()));
  await tick();
  assert.deepEqual([...gates.keys()], ['u1', 'u2'], 'two in flight');
  for (const n of [1, 2, 3]) { gates.get(`u${n}`)?.(); await tick(); }
  assert.deepEqual((await out).map((w) => w.batch.unitId), ['u1', 'u2', 'u3']);
  writer.close();
});
