import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { encodeParquet, encodeParquetColumns } from '../../../connectors/parquet/encode-parquet.js';
import { concatColumnBuffers, mapColumnBuffers, transferablesOf, type ColumnBuffer } from '../../../connectors/parquet/map-column-buffers.js';
import { parquetColumnsOf } from '../../../schemas/parquet-schema.js';
import { KINDS } from '../../../schemas/records.js';
import { EVERY_TYPE_COLUMNS } from '../../support/parquet-columns.js';
import { sampleRecords } from '../../support/sample-records.js';

const COLUMNS = EVERY_TYPE_COLUMNS;

const ROWS = [
  { n: 1_751_328_000_123_456, i: -7, s: 'BTCUSDT', b: true, d: 0.1, l: [1.5, 2] },
  { n: null, i: 0, s: 'BTCUSDT', b: false, d: -1e-8, l: [] },
  { n: -4_294_967_297, i: 5, s: null, b: null, d: 3e20, l: [7] },
  { n: 2, i: 1, s: 'é€', b: true, d: 1, l: [0, -0.5] },
];

function column<T extends ColumnBuffer['type']>(buffers: ReturnType<typeof mapColumnBuffers>, k: number, type: T): Extract<ColumnBuffer, { type: T }> {
  const c = buffers.columns[k];
  assert.equal(c.type, type);
  return c as Extract<ColumnBuffer, { type: T }>;
}

test('each column becomes the Arrow buffers of its type: int64 words, utf-8 bytes with offsets, list items, bits', () => {
  const buffers = mapColumnBuffers(ROWS, COLUMNS);
  assert.equal(buffers.length, 4);
  assert.deepEqual([...column(buffers, 0, 'INT64').values], [1_751_328_000_123_456n, 0n, -4_294_967_297n, 2n]);
  assert.deepEqual([...column(buffers, 1, 'INT32').values], [-7, 0, 5, 1]);
  const s = column(buffers, 2, 'UTF8');
  assert.deepEqual([...s.offsets], [0, 7, 14, 14, 19]);
  assert.equal(Buffer.from(s.data).toString('utf8'), 'BTCUSDTBTCUSDTé€');
  assert.equal(column(buffers, 3, 'BOOLEAN').values[0] & 0b1111, 0b1001);
  assert.deepEqual([...column(buffers, 4, 'DOUBLE').values], [0.1, -1e-8, 3e20, 1]);
  const l = column(buffers, 5, 'LIST<DOUBLE>');
  assert.deepEqual([...l.offsets], [0, 2, 2, 3, 5]);
  assert.deepEqual([...l.items], [1.5, 2, 7, 0, -0.5]);
});

test('nulls clear their validity bit and are counted; a column without nulls has no bitmap', () => {
  const buffers = mapColumnBuffers(ROWS, COLUMNS);
  const n = buffers.columns[0];
  assert.equal(n.nullCount, 1);
  assert.equal((n.nullBitmap?.[0] ?? 0) & 0b1111, 0b1101);
  assert.equal(buffers.columns[2].nullCount, 1);
  assert.equal(buffers.columns[3].nullCount, 1);
  assert.equal(buffers.columns[1].nullBitmap, undefined);
  assert.equal(buffers.columns[1].nullCount, 0);
});

test('a value its column cannot hold throws a SinkWriteError naming the column and row', () => {
  assert.throws(() => mapColumnBuffers([ROWS[0], { ...ROWS[0], i: 'x' }], COLUMNS), (e: Error) => e.name === 'SinkWriteError' && e.message.includes('column i') && e.message.includes('row 1'));
  assert.throws(() => mapColumnBuffers([{ ...ROWS[0], d: null }], COLUMNS), (e: Error) => e.name === 'SinkWriteError' && e.message.includes('column d'));
});

test('the transfer list names every buffer once, and moving them detaches nothing else (no pooled memory)', () => {
  const pooled = Buffer.from('a small pooled buffer');
  const buffers = mapColumnBuffers(ROWS, COLUMNS);
  const transfer = transferablesOf(buffers);
  assert.equal(new Set(transfer).size, transfer.length);
  // 6 columns: 2 buffers each for UTF8 and LIST, 1 for the others, plus bitmaps of n, s and b
  assert.equal(transfer.length, 11);
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(buffers, transfer);
  const moved = receiveMessageOnPort(port2)?.message as typeof buffers;
  port1.close();
  assert.equal(pooled.toString(), 'a small pooled buffer');
  assert.equal(buffers.columns[4].type === 'DOUBLE' ? buffers.columns[4].values.length : -1, 0, 'the sender\'s view is detached');
  assert.equal(Buffer.from((moved.columns[2] as Extract<ColumnBuffer, { type: 'UTF8' }>).data).toString('utf8'), 'BTCUSDTBTCUSDTé€');
});

test('encoding moved buffers gives the bytes encodeParquet gives for the records, for every kind', () => {
  for (const kind of ['trade', 'kline', 'bookDepth', 'deadLetter', 'gap'] as const) {
    const columns = parquetColumnsOf(KINDS[kind]);
    const records = sampleRecords(kind, 50) as unknown as Record<string, unknown>[];
    const { port1, port2 } = new MessageChannel();
    const buffers = mapColumnBuffers(records, columns);
    port1.postMessage(buffers, transferablesOf(buffers));
    const moved = receiveMessageOnPort(port2)?.message as typeof buffers;
    port1.close();
    assert.deepEqual(encodeParquetColumns(moved, columns), encodeParquet(records, columns), kind);
  }
});

/** Rows of every column type with nulls, strings of varying width and lists of varying length (deterministic). */
function mixedRows(count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    n: i % 7 === 3 ? null : i * 4_294_967_311 - 1e12, i: i - 30, s: i % 5 === 0 ? null : i % 3 === 0 ? 'é€' : `S${i % 4}`,
    b: i % 11 === 4 ? null : i % 2 === 0, d: i / 3, l: Array.from({ length: i % 4 }, (__, k) => k + i / 10),
  }));
}

test('column buffers of consecutive runs concatenated are the buffers of all their rows, at any split (unaligned bitmaps too)', () => {
  const rows = mixedRows(61);
  const whole = mapColumnBuffers(rows, COLUMNS);
  for (const cuts of [[3, 12, 13, 40], [8, 16], [1], [7, 9, 10, 11, 50, 60]]) {
    const bounds = [0, ...cuts, rows.length];
    const parts = bounds.slice(1).map((end, p) => mapColumnBuffers(rows.slice(bounds[p], end), COLUMNS));
    const joined = concatColumnBuffers(parts);
    assert.equal(joined.length, 61);
    joined.columns.forEach((c, k) => {
      const w = whole.columns[k];
      assert.equal(c.nullCount, w.nullCount, `column ${k}`);
      const bits = (bitmap: Uint8Array | undefined): number[] => Array.from({ length: 61 }, (_, i) => (bitmap === undefined ? 1 : (bitmap[i >> 3] >> (i & 7)) & 1));
      assert.deepEqual(bits(c.nullBitmap), bits(w.nullBitmap), `validity of column ${k}, cuts ${cuts.join(',')}`);
    });
    assert.deepEqual(Buffer.from(encodeParquetColumns(joined, COLUMNS)), Buffer.from(encodeParquet(rows, COLUMNS)), `cuts ${cuts.join(',')}`);
  }
  assert.equal(concatColumnBuffers([whole]), whole, 'one part is returned as it is');
  // Only the second run has nulls: the joined validity marks the first run's rows valid.
  const partly = concatColumnBuffers([mapColumnBuffers(rows.slice(0, 3), COLUMNS), mapColumnBuffers(rows.slice(3, 5), COLUMNS)]);
  assert.equal(partly.columns[0].nullCount, 1);
  assert.equal((partly.columns[0].nullBitmap?.[0] ?? 0) & 0b11111, 0b10111);
});
