import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { encodeParquet } from '../../../connectors/parquet/encode-parquet.js';
import { startParquetEncoder } from '../../../connectors/parquet/parquet-encoder.js';
import { parquetColumnsOf } from '../../../schemas/parquet-schema.js';
import { KINDS } from '../../../schemas/records.js';
import { sampleRecords } from '../../support/sample-records.js';

const COLUMNS = parquetColumnsOf(KINDS.trade);
const rows = (n: number, from = 0): Record<string, unknown>[] =>
  sampleRecords('trade', n).map((r, i) => ({ ...r, tradeId: from + i })) as unknown as Record<string, unknown>[];

test('the worker returns the bytes encodeParquet makes on this thread, for each of many encodes in flight', async () => {
  const encoder = startParquetEncoder({ inWorker: true });
  try {
    const inputs = Array.from({ length: 8 }, (_, k) => rows(100 + k * 37, k * 1000));
    const files = await Promise.all(inputs.map((input) => encoder.encode(input, COLUMNS, { maxRowGroupRows: 64 })));
    files.forEach((bytes, k) => assert.deepEqual(bytes, encodeParquet(inputs[k], COLUMNS, { maxRowGroupRows: 64 }), `encode ${k}`));
  } finally {
    encoder.close();
  }
});

test('the in-place encoder returns the same bytes as the worker', async () => {
  const input = rows(500);
  const worker = startParquetEncoder({ inWorker: true });
  const inPlace = startParquetEncoder({ inWorker: false });
  try {
    assert.deepEqual(await inPlace.encode(input, COLUMNS), await worker.encode(input, COLUMNS));
  } finally {
    worker.close();
    inPlace.close();
  }
});

test('a value its column cannot hold throws a SinkWriteError at the call, before anything is queued', () => {
  for (const inWorker of [true, false]) {
    const encoder = startParquetEncoder({ inWorker });
    try {
      assert.throws(() => encoder.encode([{ ...rows(1)[0], price: 'NaN?' }], COLUMNS), (e: Error) => e.name === 'SinkWriteError' && e.message.includes('column price'));
    } finally {
      encoder.close();
    }
  }
});

test('closing an encoder rejects its pending encodes, and a closed encoder refuses new ones; other encoders go on', async () => {
  const closing = startParquetEncoder({ inWorker: true });
  const other = startParquetEncoder({ inWorker: true });
  try {
    const pending = closing.encode(rows(20_000), COLUMNS);
    const unaffected = other.encode(rows(10), COLUMNS);
    closing.close();
    closing.close();
    await assert.rejects(pending, (e: Error) => e.name === 'SinkWriteError' && e.message.includes('closed'));
    await assert.rejects(closing.encode(rows(1), COLUMNS), (e: Error) => e.name === 'SinkWriteError');
    assert.deepEqual(await unaffected, encodeParquet(rows(10), COLUMNS));
  } finally {
    other.close();
  }
});

test('a process that encoded on the worker exits by itself once its encoder is closed, and also when it is not', async () => {
  const module = fileURLToPath(new URL('../../../connectors/parquet/parquet-encoder.ts', import.meta.url));
  for (const close of [true, false]) {
    const script = `const { startParquetEncoder } = await import(${JSON.stringify(module)});
      const encoder = startParquetEncoder({ inWorker: true });
      const bytes = await encoder.encode([{ n: 1 }], [{ name: 'n', type: 'INT64', optional: false, dictionary: false }]);
      ${close ? 'encoder.close();' : ''}
      process.stdout.write(String(bytes.length > 0));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 60_000, cwd: fileURLToPath(new URL('../../..', import.meta.url)) });
    assert.equal(stdout, 'true');
  }
});
