/**
 * Parquet writers side by side on the same rows (realistic trades: 7 int64 columns, 2 nullable, strings,
 * doubles, booleans), each encoding one complete SNAPPY file, verified afterwards by DuckDB (count and an exact
 * int64 sum). The lake uses the winner (parquet-wasm + Arrow, connectors/parquet/encode-parquet.ts). Also the
 * whole lake sink (`toParquetLake`: partitioning, encoding, local file writes) on batches of 20,000 rows (the
 * backfill default), each batch spanning 4 partitions (2 markets × 2 symbols).
 * Run alone: `node --import tsx bench/parquet.ts [rows]`.
 */
import { createRequire } from 'node:module';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { snappyCompressor } from 'hysnappy';
import { from, lastValueFrom, toArray } from 'rxjs';
import { encodeParquet } from '../connectors/parquet/encode-parquet.js';
import { toParquetLake } from '../connectors/parquet/to-parquet-lake.js';
import type { RecordBatch } from '../connectors/sink.js';
import { parquetColumnsOf, type ParquetColumn } from '../schemas/parquet-schema.js';
import { TRADE, type TradeRecord } from '../schemas/records.js';
import type { BenchResult } from './result.js';

type Row = Record<string, unknown>;
const COLUMNS = parquetColumnsOf(TRADE);
const TARGET_ROWS_PER_S = 500_000;

/** Deterministic trades: a random walk in price, increasing ids, one row in 7 with COIN-M style nulls. */
export function benchTrades(count: number): TradeRecord[] {
  const rows: TradeRecord[] = [];
  let price = 60_000;
  for (let i = 0; i < count; i++) {
    price = Math.round((price + Math.sin(i) * 3) * 100) / 100;
    const coin = i % 7 === 0;
    rows.push({
      kind: 'trade', exchange: 'binance', market: coin ? 'cm' : 'spot', symbol: i % 2 === 0 ? 'BTCUSDT' : 'ETHUSDT',
      eventTimeUs: 1_751_328_000_000_000 + i * 1_000, source: 'archive', receiveTimeUs: null,
      ingestId: `data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2025-07-01.zip#${i >> 16}`, version: 5 * 2 ** 44 + 1_751_400_000_000,
      tradeId: 4_000_000_000 + i, price, qty: coin ? null : Math.round((i % 997) * 1e-3 * 1e5) / 1e5,
      quoteQty: coin ? null : Math.round(price * (i % 997) * 1e-3 * 100) / 100, contracts: coin ? i % 50 : null,
      baseQty: coin ? 0.001 * (i % 50) : null, isBuyerMaker: i % 3 === 0, isBestMatch: coin ? null : true,
    });
  }
  return rows;
}

function hyparquetBuffer(rows: readonly Row[], columns: readonly ParquetColumn[], compressor: (input: Uint8Array) => Uint8Array): ArrayBuffer {
  const columnData = columns.map((column) => {
    const values = rows.map((row) => row[column.name] ?? null);
    const data = column.type === 'INT64' ? values.map((v) => (v === null ? null : BigInt(v as number))) : values;
    const type = column.type === 'UTF8' ? 'STRING' : column.type === 'LIST<DOUBLE>' ? undefined : column.type;
    return { name: column.name, data, ...(type === undefined ? {} : { type }), nullable: column.optional };
  });
  return parquetWriteBuffer({ columnData: columnData as never, compressors: { SNAPPY: compressor } });
}

async function parquetjsLiteFile(rows: readonly Row[], columns: readonly ParquetColumn[], path: string): Promise<void> {
  const parquet = createRequire(import.meta.url)('parquetjs-lite') as {
    ParquetSchema: new (fields: Record<string, unknown>) => unknown;
    ParquetWriter: { openFile(schema: unknown, path: string, options?: unknown): Promise<{ appendRow(row: Row): Promise<void>; close(): Promise<void> }> };
  };
  const fields: Record<string, unknown> = {};
  for (const c of columns) fields[c.name] = { type: c.type === 'UTF8' ? 'UTF8' : c.type, optional: c.optional, compression: 'SNAPPY' };
  const writer = await parquet.ParquetWriter.openFile(new parquet.ParquetSchema(fields), path, { rowGroupSize: 131_072 });
  for (const row of rows) {
    const out: Row = {};
    for (const c of columns) if (row[c.name] !== null) out[c.name] = row[c.name];
    await writer.appendRow(out);
  }
  await writer.close();
}

async function verify(path: string, rows: readonly TradeRecord[]): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(`SELECT count(*)::BIGINT AS n, sum(tradeId)::HUGEINT AS s, count(qty)::BIGINT AS q FROM read_parquet('${path}')`);
    const [row] = reader.getRowObjectsJson();
    const sum = rows.reduce((acc, r) => acc + BigInt(r.tradeId), 0n);
    const withQty = rows.filter((r) => r.qty !== null).length;
    if (row.n !== String(rows.length) || row.s !== sum.toString() || row.q !== String(withQty)) {
      throw new Error(`${path}: DuckDB read back ${JSON.stringify(row)}, expected n=${rows.length} s=${sum} q=${withQty}`);
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function measure(name: string, runs: number, rows: readonly TradeRecord[], path: string, write: () => Promise<void>): Promise<BenchResult> {
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const startCpu = process.cpuUsage();
    await write();
    const usedCpu = process.cpuUsage(startCpu);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    cpu.push((usedCpu.user + usedCpu.system) / 1000);
  }
  const cpuMs = cpu.sort((a, b) => a - b)[Math.floor(cpu.length / 2)];
  await verify(path, rows);
  const medianMs = times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
  const value = Math.round(rows.length / (medianMs / 1000));
  const bytes = (await readFile(path)).byteLength;
  return {
    name: `parquet write: ${name}`, value, unit: 'rows/s', target: TARGET_ROWS_PER_S, ratio: value / TARGET_ROWS_PER_S,
    note: `${rows.length} trades → one SNAPPY file of ${(bytes / 1e6).toFixed(1)} MB; median of ${runs}: ${medianMs.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU (${Math.round(rows.length / (cpuMs / 1000)).toLocaleString('en-US')} rows per CPU-s); DuckDB read-back exact`,
  };
}

async function measureSink(rows: readonly TradeRecord[], dir: string): Promise<BenchResult> {
  const batchRows = 20_000;
  const batches: RecordBatch[] = [];
  for (let at = 0; at < rows.length; at += batchRows) batches.push({ kind: 'trade', unitId: `bench#${at}`, records: rows.slice(at, at + batchRows) });
  const run = async (): Promise<void> => { await lastValueFrom(from(batches).pipe(toParquetLake({ root: join(dir, 'lake') }), toArray())); };
  await run(); // warm-up, and the files the timed runs replace
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < 3; i++) {
    const start = process.hrtime.bigint();
    const startCpu = process.cpuUsage();
    await run();
    const usedCpu = process.cpuUsage(startCpu);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    cpu.push((usedCpu.user + usedCpu.system) / 1000);
  }
  const medianMs = times.sort((a, b) => a - b)[1];
  const cpuMs = cpu.sort((a, b) => a - b)[1];
  const value = Math.round(rows.length / (medianMs / 1000));
  return {
    name: 'parquet lake sink (toParquetLake, local)', value, unit: 'rows/s', target: TARGET_ROWS_PER_S, ratio: value / TARGET_ROWS_PER_S,
    note: `${rows.length} trades in batches of ${batchRows} → 4 partitions each; median of 3: ${medianMs.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU (${Math.round(rows.length / (cpuMs / 1000)).toLocaleString('en-US')} rows per CPU-s)`,
  };
}

/** Measures the three writers on the same rows (default 100,000 trades), then the lake sink on them. */
export async function benchParquet(rowCount = 100_000): Promise<BenchResult[]> {
  const rows = benchTrades(rowCount);
  const plain = rows as unknown as Row[];
  const dir = await mkdtemp(join(tmpdir(), 'bench-parquet-'));
  try {
    const compressor = snappyCompressor();
    encodeParquet(plain.slice(0, 5000), COLUMNS); // warm up wasm
    hyparquetBuffer(plain.slice(0, 5000), COLUMNS, compressor);
    const wasmPath = join(dir, 'wasm.parquet');
    const hyPath = join(dir, 'hyparquet.parquet');
    const litePath = join(dir, 'lite.parquet');
    const chosen = await measure('parquet-wasm + arrow (chosen)', 3, rows, wasmPath, () => writeFile(wasmPath, encodeParquet(plain, COLUMNS)));
    const others = [
      await measure('hyparquet-writer + hysnappy', 3, rows, hyPath, () => writeFile(hyPath, new Uint8Array(hyparquetBuffer(plain, COLUMNS, compressor)))),
      await measure('parquetjs-lite', 1, rows, litePath, () => parquetjsLiteFile(plain, COLUMNS, litePath)),
    ].map(({ target: _target, ratio: _ratio, ...r }) => ({ ...r, note: `${r.note}; ${(chosen.value / r.value).toFixed(1)}x slower than the chosen writer` }));
    return [chosen, await measureSink(rows, dir), ...others];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchParquet(Number(process.argv[2] ?? 100_000))) {
    console.log(`${r.name.padEnd(45)} ${r.value.toLocaleString('en-US').padStart(10)} ${r.unit}  ×${r.ratio?.toFixed(2)} of target  (${r.note})`);
  }
}
