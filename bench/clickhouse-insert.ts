/**
 * ClickHouse insert throughput of the sink (`toClickHouse`: records → TabSeparated → HTTP insert) against
 * the server ingesting the same rows pre-encoded as CSV (`INSERT … FORMAT CSV`, encoding excluded): the
 * ratio is the sink's overhead. Needs a server: `node --import tsx bench/clickhouse-insert.ts <url> [rows]`,
 * or `benchClickHouseInsert({ embeddedPath })` for the embedded chdb engine.
 */
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { firstValueFrom, from, toArray } from 'rxjs';
import { createClickHouseClient, type ClickHouseConfig } from '../connectors/clickhouse/config.js';
import { migrate } from '../connectors/clickhouse/migrate.js';
import { probeCapabilities } from '../connectors/clickhouse/probe-capabilities.js';
import { toClickHouse } from '../connectors/clickhouse/to-clickhouse.js';
import { quoteIdentifier } from '../schemas/clickhouse-ddl.js';
import type { FieldSpec } from '../schemas/fields.js';
import { TRADE } from '../schemas/records.js';
import { benchTrades } from './parquet.js';
import type { BenchResult } from './result.js';

/** Rows as CSV text chunks of 8,192 rows (ClickHouse CSV: `\N` for null, quoted strings, 1/0 booleans). */
export function csvOf(rows: readonly Record<string, unknown>[], fields: readonly FieldSpec[] = TRADE.fields): string[] {
  const chunks: string[] = [];
  for (let start = 0; start < rows.length; start += 8192) {
    let chunk = '';
    for (const row of rows.slice(start, start + 8192)) {
      chunk += fields.map((f) => {
        const v = row[f.name];
        if (v === null) return '\\N';
        if (typeof v === 'string') return '"' + v.replace(/"/g, '""') + '"';
        if (typeof v === 'boolean') return v ? '1' : '0';
        return String(v);
      }).join(',') + '\n';
    }
    chunks.push(chunk);
  }
  return chunks;
}

/** Milliseconds `fn` takes to settle. */
export async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Sink vs server-side CSV ingest of the same trades (default 200,000 rows) into fresh tables. */
export async function benchClickHouseInsert(config: ClickHouseConfig, rowCount = 200_000): Promise<BenchResult[]> {
  const client = await createClickHouseClient(config);
  const database = `bench_${Date.now().toString(36)}`;
  try {
    const features = await probeCapabilities(client);
    await migrate(client, { database, kinds: ['trade'], features });
    await client.command({ query: `CREATE TABLE ${quoteIdentifier(database)}.trades_csv AS ${quoteIdentifier(database)}.trades` });
    const rows = benchTrades(rowCount);
    const csv = csvOf(rows as unknown as Record<string, unknown>[], TRADE.fields);
    const csvMs = await timeMs(() => client.insert({
      table: `${quoteIdentifier(database)}.trades_csv`, format: 'CSV', values: Readable.from(csv, { objectMode: false }),
    }));
    const sinkMs = await timeMs(() => firstValueFrom(from([{ kind: 'trade' as const, unitId: 'bench', records: rows }])
      .pipe(toClickHouse({ client, database, features }), toArray())));
    const csvRate = Math.round(rowCount / (csvMs / 1000));
    const sinkRate = Math.round(rowCount / (sinkMs / 1000));
    const where = `ClickHouse ${features.version}${config.embeddedPath === undefined ? '' : ' (chdb)'}`;
    return [
      { name: `clickhouse insert: server CSV ingest, pre-encoded (${where})`, value: csvRate, unit: 'rows/s', note: `${rowCount} trades, ${csvMs.toFixed(0)} ms` },
      { name: `clickhouse insert: toClickHouse sink (${where})`, value: sinkRate, unit: 'rows/s', ratio: sinkRate / csvRate,
        note: `${rowCount} trades incl. encoding (RowBinary to servers, TSV to chdb), ${sinkMs.toFixed(0)} ms; ratio vs the server's own CSV ingest` },
    ];
  } finally {
    await client.command({ query: `DROP DATABASE IF EXISTS ${quoteIdentifier(database)}` }).catch(() => undefined);
    await client.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const target = process.argv[2] ?? 'http://127.0.0.1:18123';
  const config: ClickHouseConfig = target.startsWith('http') ? { url: target } : { embeddedPath: target };
  for (const r of await benchClickHouseInsert(config, Number(process.argv[3] ?? 200_000))) {
    console.log(`${r.name.padEnd(70)} ${r.value.toLocaleString('en-US').padStart(10)} ${r.unit}${r.ratio === undefined ? '' : `  ×${r.ratio.toFixed(2)}`}  (${r.note})`);
  }
}
