import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, firstValueFrom, from, lastValueFrom, toArray } from 'rxjs';
import { batchingSink, type BatchingSink } from '../../connectors/batching-sink.js';
import type { RecordBatch, WriteAck } from '../../connectors/sink.js';

const batch = (n: number, rows = 1): RecordBatch => ({ kind: 'trade', unitId: `u${n}`, records: Array.from({ length: rows }) as RecordBatch['records'] });
const ackOf = (b: RecordBatch): WriteAck => ({ sink: 'test', unitId: b.unitId, kind: b.kind, rows: b.records.length, target: 't' });
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A sink whose sends finish when the test opens their gate (by the group's first unit id). */
function gated(concurrency: number, take?: BatchingSink<RecordBatch>['take']): { sink: ReturnType<typeof batchingSink>; gates: Map<string, () => void>; groups: string[][]; maxRunning: () => number } {
  const gates = new Map<string, () => void>();
  const groups: string[][] = [];
  let running = 0;
  let maxRunning = 0;
  const sink = batchingSink<RecordBatch>(() => ({
    concurrency, prepare: (b) => b, ...(take === undefined ? {} : { take }),
    send: (group, acked) => new Promise<void>((resolve) => {
      groups.push(group.map((b) => b.unitId));
      running++; maxRunning = Math.max(maxRunning, running);
      gates.set(group[0].unitId, () => { running--; for (const b of group) acked(ackOf(b)); resolve(); });
    }),
  }));
  return { sink, gates, groups, maxRunning: () => maxRunning };
}

test('sends at most `concurrency` groups at once and acknowledges in input order, whatever order the sends finish in', async () => {
  const { sink, gates, maxRunning } = gated(2);
  const acks: string[] = [];
  const subject = new Subject<RecordBatch>();
  const finished = new Promise<void>((resolve, reject) => subject.pipe(sink).subscribe({ next: (a) => acks.push(a.unitId), error: reject, complete: resolve }));
  for (const n of [1, 2, 3, 4]) subject.next(batch(n));
  subject.complete();
  await tick();
  assert.deepEqual([...gates.keys()], ['u1', 'u2'], 'the third waits for a free slot');
  gates.get('u2')?.();
  await tick();
  assert.deepEqual(acks, [], 'u2 finished first but waits for u1');
  assert.deepEqual([...gates.keys()], ['u1', 'u2', 'u3'], 'u2 finishing frees a slot at once');
  gates.get('u1')?.();
  await tick();
  assert.deepEqual(acks, ['u1', 'u2']);
  gates.get('u4')?.();
  gates.get('u3')?.();
  await finished;
  assert.deepEqual(acks, ['u1', 'u2', 'u3', 'u4']);
  assert.equal(maxRunning(), 2);
});

test('with one send at a time, the batches that waited meanwhile leave in the groups `take` cuts', async () => {
  const { sink, gates, groups } = gated(1, (waiting) => waiting.splice(0, 2));
  const subject = new Subject<RecordBatch>();
  const acks: string[] = [];
  const finished = new Promise<void>((resolve, reject) => subject.pipe(sink).subscribe({ next: (a) => acks.push(a.unitId), error: reject, complete: resolve }));
  subject.next(batch(1)); // alone: sent from the next microtask
  await tick();
  for (const n of [2, 3, 4, 5]) subject.next(batch(n));
  subject.complete();
  gates.get('u1')?.();
  await tick();
  gates.get('u2')?.();
  await tick();
  gates.get('u4')?.();
  await finished;
  assert.deepEqual(groups, [['u1'], ['u2', 'u3'], ['u4', 'u5']]);
  assert.deepEqual(acks, ['u1', 'u2', 'u3', 'u4', 'u5']);
});

test('a failed send or preparation fails the sink; completion waits for finish, and close runs once at the end', async () => {
  const failing = batchingSink<RecordBatch>(() => ({ prepare: (b) => b, send: (group) => (group[0].unitId === 'u2' ? Promise.reject(new Error('boom')) : Promise.resolve()) }));
  await assert.rejects(firstValueFrom(from([batch(1), batch(2)]).pipe(failing, toArray())), /boom/);
  const refusing = batchingSink<RecordBatch>(() => ({ prepare: () => { throw new Error('cannot encode'); }, send: async () => undefined }));
  await assert.rejects(firstValueFrom(from([batch(1)]).pipe(refusing, toArray())), /cannot encode/);
  const order: string[] = [];
  const finishing = batchingSink<RecordBatch>(() => ({
    prepare: (b) => b,
    send: async (group, acked) => { for (const b of group) acked(ackOf(b)); },
    finish: async () => { await tick(); order.push('finish'); },
    close: () => order.push('close'),
  }));
  const acks = await lastValueFrom(from([batch(1), batch(2)]).pipe(finishing, toArray()));
  assert.deepEqual(acks.map((a) => a.unitId), ['u1', 'u2']);
  assert.deepEqual(order, ['finish', 'close']);
});
