import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { encodeParquet } from '../../../connectors/parquet/encode-parquet.js';
import type { ParquetColumn } from '../../../schemas/parquet-schema.js';
import { EVERY_TYPE_COLUMNS } from '../../support/parquet-columns.js';

const COLUMNS = EVERY_TYPE_COLUMNS;

async function readBack(bytes: Uint8Array, sql: string): Promise<Record<string, unknown>[]> {
  const dir = await mkdtemp(join(tmpdir(), 'pq-'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await writeFile(join(dir, 'f.parquet'), bytes);
    const reader = await connection.runAndReadAll(sql.replace('$FILE', `'${join(dir, 'f.parquet')}'`));
    return reader.getRowObjectsJson();
  } finally {
    connection.closeSync();
    instance.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}

test('int64 values are exact across the 32-bit word boundary, for negatives and up to 2^53 − 1', async () => {
  const values = [0, 1, -1, 4294967295, 4294967296, -4294967296, -4294967297, 1_751_328_000_123_456, 9_007_199_254_740_991, -9_007_199_254_740_991, null];
  const rows = values.map((n, i) => ({ n, i, s: null, b: null, d: 0, l: [] }));
  const back = await readBack(encodeParquet(rows, COLUMNS), 'SELECT n::VARCHAR AS n FROM read_parquet($FILE)');
  assert.deepEqual(back.map((r) => r.n), values.map((v) => (v === null ? null : String(v))));
});

test('strings of any width, booleans, doubles and lists keep their values; nulls stay null', async () => {
  const rows = [
    { n: 1, i: -7, s: 'plain', b: true, d: 0.1, l: [1.5, 2] },
    { n: 2, i: 0, s: 'é€😀 tab\tnl\n', b: false, d: -1e-8, l: [] },
    { n: 3, i: 2147483647, s: null, b: null, d: 3e20, l: [65432.1] },
    { n: 4, i: 1, s: '', b: true, d: Number.MAX_VALUE, l: [0] },
  ];
  const back = await readBack(encodeParquet(rows, COLUMNS, { maxRowGroupRows: 2 }), 'SELECT i, s, b, d, l FROM read_parquet($FILE) ORDER BY n');
  assert.deepEqual(back, rows.map(({ i, s, b, d, l }) => ({ i, s, b, d, l })));
});

test('row groups are cut at maxRowGroupRows', async () => {
  const rows = Array.from({ length: 5 }, (_, k) => ({ n: k, i: k, s: 'x', b: true, d: k, l: [] }));
  const meta = await readBack(encodeParquet(rows, COLUMNS, { maxRowGroupRows: 2 }), 'SELECT count(DISTINCT row_group_id)::INTEGER AS groups FROM parquet_metadata($FILE)');
  assert.deepEqual(meta, [{ groups: 3 }]);
});

test('a null in a required column or a mistyped value is refused, naming the column', () => {
  const good = { n: 1, i: 1, s: 'x', b: true, d: 1, l: [] };
  assert.throws(() => encodeParquet([good, { ...good, d: null }], COLUMNS), (e: Error) => e.name === 'SinkWriteError' && e.message.includes('column d') && e.message.includes('row 1'));
  assert.throws(() => encodeParquet([{ ...good, n: '5' }], COLUMNS), (e: Error) => e.name === 'SinkWriteError' && e.message.includes('column n'));
  assert.throws(() => encodeParquet([{ ...good, l: undefined }], COLUMNS), (e: Error) => e.name === 'SinkWriteError' && e.message.includes('column l'));
});

test('runs of repeated strings, non-ASCII, long and empty values and nulls between them all read back', async () => {
  const long = 'L'.repeat(70) + 'é';
  const strings = ['BTCUSDT', 'BTCUSDT', 'BTCUSDT', null, 'BTCUSDT', 'é€', 'é€', '', '', long, long, 'x', null, null, 'x'];
  const rows = strings.map((s, k) => ({ n: k, i: 0, s, b: null, d: 0, l: [] }));
  const back = await readBack(encodeParquet(rows, COLUMNS), 'SELECT s FROM read_parquet($FILE) ORDER BY n');
  assert.deepEqual(back.map((r) => r.s), strings);
});

test('column names that are not identifiers read back, and undefined in an optional column is null', async () => {
  const odd: ParquetColumn[] = [
    { name: 'we"ird\\name\u2028', type: 'INT64', optional: true, dictionary: false },
    { name: 'constructor', type: 'UTF8', optional: true, dictionary: false },
    { name: 'k', type: 'INT32', optional: false, dictionary: false },
  ];
  const rows = [{ 'we"ird\\name\u2028': 5, constructor: 'x', k: 0 }, { constructor: null, k: 1 }, { 'we"ird\\name\u2028': -3, constructor: undefined, k: 2 }];
  const back = await readBack(encodeParquet(rows, odd), 'SELECT * FROM read_parquet($FILE) ORDER BY k');
  assert.deepEqual(back.map((r) => [r['we"ird\\name\u2028'], r.constructor, r.k]), [['5', 'x', 0], [null, null, 1], ['-3', null, 2]]);
  assert.throws(() => encodeParquet([{ constructor: 7, k: 0 }], odd), (e: Error) => e.name === 'SinkWriteError' && e.message.includes('column constructor') && e.message.includes('row 0'));
});

test('int64 columns carry min/max statistics so readers can prune row groups by time', async () => {
  const rows = [5, -2, 9_007_199_254_740_991, null].map((n, k) => ({ n, i: k, s: 'x', b: true, d: 0, l: [] }));
  const meta = await readBack(encodeParquet(rows, COLUMNS), "SELECT stats_min, stats_max FROM parquet_metadata($FILE) WHERE path_in_schema = 'n'");
  assert.deepEqual(meta.map(({ stats_min, stats_max }) => ({ stats_min, stats_max })), [{ stats_min: '-2', stats_max: '9007199254740991' }]);
});

test('long runs of one string, short or long, read back value for value', async () => {
  const long = 'data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2025-07-01.zip#0-é';
  const strings = [...Array(1001).fill(long), ...Array(777).fill('x'), null, ...Array(3).fill('x'), ...Array(5).fill(''), 'y'];
  const rows = strings.map((s, k) => ({ n: k, i: 0, s, b: null, d: 0, l: [] }));
  const back = await readBack(encodeParquet(rows, COLUMNS), 'SELECT s FROM read_parquet($FILE) ORDER BY n');
  assert.deepEqual(back.map((r) => r.s), strings);
});
