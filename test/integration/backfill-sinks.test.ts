/**
 * `lakehouse backfill` into the real ClickHouse and Kafka sinks, from a generated Binance-layout mirror served
 * over HTTP. Symbols are unique to the run (tables and topics are shared with other runs), so every check
 * filters by them: row counts with FINAL equal the generated rows, a rerun is skipped by the manifest, a
 * republished file's new values win by version, exact values survive; Kafka records read back with `fromKafka`
 * equal what the archive parser produces; a corrupt zip (checksum mismatch, or damaged inside with a matching
 * checksum) leaves nothing behind, and a 404 day is reported.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdir, stat, utimes } from 'node:fs/promises';
import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouseClient } from '../../connectors/clickhouse/config.js';
import { parseArchiveFile } from '../../connectors/binance-archive/parse-archive-file.js';
import { createKafka } from '../../connectors/kafka/config.js';
import { fromKafka, type FromKafkaOptions } from '../../connectors/kafka/from-kafka.js';
import { backfillCommand } from '../../pipelines/backfill.js';
import type { AnyRecord, KlineRecord, TradeRecord } from '../../schemas/records.js';
import { makeVersion } from '../../schemas/version.js';
import { generateArchiveMirror, writeArchiveFile, type GeneratedFile } from '../support/archive-mirror.js';
import { startArchiveServer, type ArchiveServer } from '../support/archive-server.js';
import { breakCrc, damageDeflate } from '../support/archive-zip.js';
import { clickhouseService, kafkaService, registryService } from '../support/services.js';
import { removeTempDirs, runBackfillJson, tempDir } from '../pipelines/backfill-support.js';

after(removeTempDirs);

const RUN = `${Date.now().toString(36)}${process.pid}`.toUpperCase();
/** A symbol unique to the run (the generator's trade ids increase across its days, as Binance's do). */
const runSymbol = (prefix: string): string => `${prefix}${RUN}USDT`;
const [SYM_A, SYM_B, SYM_C, SYM_D] = ['A', 'B', 'C', 'D'].map(runSymbol) as [string, string, string, string];
const TYPES = ['klines:1m', 'trades'];
const requestOf = (symbols: string[]): string[] => ['--market', 'spot', '--symbols', symbols.join(','), '--types', TYPES.join(','), '--from', '2025-07-01', '--to', '2025-07-02'];
const tableOf = (g: GeneratedFile): string => (g.file.kind === 'trade' ? 'trades' : 'klines');
/** `107123.45000000` → `107123.45`: the shortest exact decimal, as ClickHouse's toString prints a Float64. */
const plain = (decimal: string): string => (decimal.includes('.') ? decimal.replace(/0+$/, '').replace(/\.$/, '') : decimal);
const csvLines = (path: string): string[] => execFileSync('unzip', ['-p', path]).toString().trim().split('\n');

async function select<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  return (await client.query({ query, format: 'JSONEachRow' })).json<T>();
}

/** The ClickHouse service's backfill environment and a client, or undefined after skipping `t` when none is configured. */
async function clickhouseOrSkip(t: TestContext): Promise<{ env: NodeJS.ProcessEnv; client: ClickHouseClient } | undefined> {
  const service = await clickhouseService();
  if (service === undefined) { t.skip('ClickHouse not configured (CLICKHOUSE_URL)'); return undefined; }
  const env = { CLICKHOUSE_URL: service.url, CLICKHOUSE_USER: service.username, CLICKHOUSE_PASSWORD: service.password };
  return { env, client: await createClickHouseClient(service) };
}

/** Rows per table and symbol (FINAL) for the given symbols, as `table|symbol` → count. */
async function countsOf(client: ClickHouseClient, symbols: string[]): Promise<Map<string, number>> {
  const inList = symbols.map((s) => `'${s}'`).join(',');
  const out = new Map<string, number>();
  for (const table of ['trades', 'klines']) {
    const rows = await select<{ symbol: string; n: string }>(client, `SELECT symbol, toString(count()) AS n FROM lakehouse.${table} FINAL WHERE symbol IN (${inList}) GROUP BY symbol`);
    for (const r of rows) out.set(`${table}|${r.symbol}`, Number(r.n));
  }
  return out;
}

function expectedCounts(files: readonly GeneratedFile[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const g of files) out.set(`${tableOf(g)}|${g.file.symbol}`, (out.get(`${tableOf(g)}|${g.file.symbol}`) ?? 0) + g.rows);
  return out;
}

describe('lakehouse backfill into ClickHouse and Kafka (real services)', () => {
  let mirror = '';
  let generated: GeneratedFile[] = [];
  let server: ArchiveServer;
  const sum = (files: readonly GeneratedFile[]): number => files.reduce((s, g) => s + g.rows, 0);

  before(async () => {
    mirror = await tempDir('sinks-mirror');
    generated = await generateArchiveMirror(mirror, { markets: ['spot'], symbols: [SYM_A, SYM_B, SYM_C, SYM_D], types: TYPES, fromDay: '2025-07-01', toDay: '2025-07-02', eventsPerDay: 300 });
    server = await startArchiveServer(mirror);
  });
  after(async () => { await server.close(); });

  const run = async (symbols: string[], sink: string, env: NodeJS.ProcessEnv, manifest: string, extra: string[] = []) => {
    const argv = [...requestOf(symbols), '--archive', server.url, '--sink', sink, '--manifest', manifest, '--concurrency', '2', ...extra];
    return runBackfillJson({ ...backfillCommand, run: (a, context) => backfillCommand.run(a, { ...context, env }) }, argv);
  };

  it('loads every file into ClickHouse with exact values, skips a rerun, and lets a republished file win by version', { timeout: 240_000 }, async (t) => {
    const clickhouse = await clickhouseOrSkip(t);
    if (clickhouse === undefined) return;
    const { env, client } = clickhouse;
    t.after(() => client.close());
    const files = generated.filter((g) => g.file.symbol === SYM_A || g.file.symbol === SYM_B);
    const manifest = `${await tempDir('sinks-ch')}/m.jsonl`;

    const first = await run([SYM_A, SYM_B], 'clickhouse', env, manifest);
    assert.equal(first.exitCode, 0, first.stdout + first.stderr);
    assert.equal(first.report.loaded, 8);
    assert.equal(first.report.rows, sum(files));
    assert.deepEqual(await countsOf(client, [SYM_A, SYM_B]), expectedCounts(files));

    const trades = files.find((g) => g.file.kind === 'trade' && g.file.symbol === SYM_A && g.file.date === '2025-07-02');
    const klines = files.find((g) => g.file.kind === 'kline' && g.file.symbol === SYM_B && g.file.date === '2025-07-01');
    assert.ok(trades !== undefined && klines !== undefined);
    const tradeCells = (csvLines(trades.path).find((l) => /^\d/.test(l)) ?? '').split(',');
    const [tradeRow] = await select<Record<string, string>>(client, `SELECT toString(price) AS price, toString(qty) AS qty, toString(quoteQty) AS quoteQty, toString(eventTimeUs) AS timeUs, toString(isBuyerMaker) AS maker FROM lakehouse.trades FINAL WHERE symbol = '${SYM_A}' AND tradeId = ${tradeCells[0]}`);
    assert.deepEqual(tradeRow, { price: plain(tradeCells[1]!), qty: plain(tradeCells[2]!), quoteQty: plain(tradeCells[3]!), timeUs: tradeCells[4], maker: tradeCells[5] === 'True' ? '1' : '0' });
    const klineCells = (csvLines(klines.path).find((l) => /^\d/.test(l)) ?? '').split(',');
    const [klineRow] = await select<Record<string, string>>(client, `SELECT toString(open) AS open, toString(high) AS high, toString(low) AS low, toString(close) AS close, toString(volume) AS volume, toString(closeTimeUs) AS closeUs FROM lakehouse.klines FINAL WHERE symbol = '${SYM_B}' AND \`interval\` = '1m' AND openTimeUs = ${klineCells[0]}`);
    assert.deepEqual(klineRow, { open: plain(klineCells[1]!), high: plain(klineCells[2]!), low: plain(klineCells[3]!), close: plain(klineCells[4]!), volume: plain(klineCells[5]!), closeUs: klineCells[6] });

    const second = await run([SYM_A, SYM_B], 'clickhouse', env, manifest);
    assert.equal(second.exitCode, 0, second.stdout);
    assert.equal(second.report.skipped, 8);
    assert.equal(second.report.loaded, 0);
    assert.deepEqual(await countsOf(client, [SYM_A, SYM_B]), expectedCounts(files));

    // Republish the trades file: one price changes, the object gets a new checksum and a later LastModified.
    const lines = csvLines(trades.path);
    const index = lines.findIndex((l) => /^\d/.test(l));
    const cells = lines[index]!.split(',');
    const newPrice = (Number(cells[1]) + 1.25).toFixed(8);
    lines[index] = [cells[0], newPrice, ...cells.slice(2)].join(',');
    const republished = await writeArchiveFile(mirror, trades.file, { lines });
    assert.notEqual(republished.sha256, trades.sha256);
    const later = new Date((await stat(trades.path)).mtimeMs + 120_000);
    await utimes(trades.path, later, later);
    await utimes(`${trades.path}.CHECKSUM`, later, later);

    const third = await run([SYM_A, SYM_B], 'clickhouse', env, manifest);
    assert.equal(third.exitCode, 0, third.stdout);
    assert.equal(third.report.loaded, 1);
    assert.equal(third.report.skipped, 7);
    assert.ok(!third.report.files.some((f) => f.key === trades.key), 'the republished file is not among the skipped');
    assert.deepEqual(await countsOf(client, [SYM_A, SYM_B]), expectedCounts(files));
    const versions = await select<{ price: string; version: string }>(client, `SELECT toString(price) AS price, toString(version) AS version FROM lakehouse.trades FINAL WHERE symbol = '${SYM_A}' AND tradeId = ${cells[0]}`);
    assert.deepEqual(versions, [{ price: plain(newPrice), version: String(makeVersion('archive', Math.floor(later.getTime() / 1000) * 1000)) }]);
  });

  it('into a server as the only sink (rows encoded as parsed): every distinct id once, whatever the order; malformed, conflicting and invalid rows to dead_letters', { timeout: 240_000 }, async (t) => {
    const clickhouse = await clickhouseOrSkip(t);
    if (clickhouse === undefined) return;
    const { env, client } = clickhouse;
    const database = `early_${RUN.toLowerCase()}`;
    t.after(async () => { await client.command({ query: `DROP DATABASE IF EXISTS ${database}` }); await client.close(); });
    const dir = await tempDir('sinks-early');
    const symbol = runSymbol('E');
    const [file] = await generateArchiveMirror(dir, { markets: ['spot'], symbols: [symbol], types: ['trades'], fromDay: '2025-07-01', toDay: '2025-07-01', eventsPerDay: 9000 });
    assert.ok(file !== undefined);
    const lines = csvLines(file.path);
    const first = lines.findIndex((l) => /^\d/.test(l));
    const at = (n: number): string[] => lines[first + n]!.split(',');
    lines[first + 10] = 'not,a,trade'; // malformed: DLQ from the parser
    const negative = at(7001);
    lines[first + 7001] = [negative[0], negative[1], `-${negative[2]}`, ...negative.slice(3)].join(','); // parses, fails validation
    const conflicting = [at(300)[0], '1.5', ...at(300).slice(2)].join(',');
    [lines[first + 100], lines[first + 103]] = [lines[first + 103]!, lines[first + 100]!]; // rows out of place
    lines.splice(first + 8000, 0, conflicting); // an id again with another price, in another batch: DLQ
    lines.splice(first + 6000, 0, lines[first + 200]!); // verbatim repeat ~5,800 rows later, in another batch
    lines.splice(first + 5000, 0, lines[first + 4999]!); // verbatim repeat, adjacent, in the second 4,096-row run
    await writeArchiveFile(dir, file.file, { lines });
    const manifest = `${dir}/m.jsonl`;
    const result = await runBackfillJson({ ...backfillCommand, run: (a, context) => backfillCommand.run(a, { ...context, env }) }, [
      '--market', 'spot', '--symbols', symbol, '--types', 'trades', '--from', '2025-07-01', '--archive', dir, '--sink', 'clickhouse',
      '--clickhouse-database', database, '--manifest', manifest, '--batch-rows', '3000',
    ]);
    assert.equal(result.exitCode, 3, result.stdout + result.stderr);
    assert.deepEqual([result.report.rows, result.report.rejectedRows, result.report.duplicateRows], [9000 - 2, 3, 2]);
    // Unmerged parts too (no FINAL): each id landed once.
    const [count] = await select<{ n: string; ids: string }>(client, `SELECT toString(count()) AS n, toString(uniqExact(tradeId)) AS ids FROM ${database}.trades WHERE symbol = '${symbol}'`);
    assert.deepEqual(count, { n: String(9000 - 2), ids: String(9000 - 2) });
    const dead = await select<{ line: string; error: string }>(client, `SELECT toString(originLine) AS line, errorName AS error FROM ${database}.dead_letters WHERE symbol = '${symbol}' ORDER BY originLine`);
    assert.equal(dead.length, 3);
    assert.deepEqual(dead.map((d) => d.error).sort(), ['DecodeError', 'DuplicateRow', 'ValidationError'].sort());
    // The file's constant columns were left out of the rows and filled in by the staging table's defaults.
    const lineage = await select<Record<string, string>>(client, `SELECT DISTINCT exchange, market, symbol, source, ingestId FROM ${database}.trades WHERE symbol = '${symbol}'`);
    assert.deepEqual(lineage, [{ exchange: 'binance', market: 'spot', symbol, source: 'archive', ingestId: file.key }]);
    const deadIds = await select<{ id: string }>(client, `SELECT ingestId AS id FROM ${database}.dead_letters WHERE symbol = '${symbol}' ORDER BY originLine`);
    // Dead letters carry every column (the parser's name the line, the validator's the record's lineage).
    assert.deepEqual(deadIds.map((d) => d.id), [`${file.key}#L11`, `${file.key}#L${lines.indexOf(conflicting) + 1}`, file.key]);
    const staging = await select<{ name: string }>(client, `SELECT name FROM system.tables WHERE database = '${database}' AND name LIKE '%\\_\\_stage\\_%'`);
    assert.deepEqual(staging, []);
  });

  it('produces every parsed record to the md.binance.spot topics, Avro-decoded back equal by fromKafka', { timeout: 240_000 }, async (t) => {
    const [kafka, registry] = await Promise.all([kafkaService(), registryService()]);
    if (kafka === undefined || registry === undefined) { t.skip('Kafka or Schema Registry not configured'); return; }
    const env = { KAFKA_BROKERS: kafka.brokers.join(','), SCHEMA_REGISTRY_URL: registry.url };
    const topics = ['md.binance.spot.klines.1m', 'md.binance.spot.trades'];
    const groupId = `backfill-sinks-${RUN}`;
    await startGroupAtEnd(kafka.brokers, groupId, topics);
    const files = generated.filter((g) => g.file.symbol === SYM_C);

    const result = await run([SYM_C], 'kafka', env, `${await tempDir('sinks-kafka')}/m.jsonl`);
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    assert.equal(result.report.loaded, 4);
    assert.equal(result.report.rows, sum(files));

    const consumed = await consumeSymbol({ kafka, registry, groupId, topics, lineage: 'original' }, SYM_C, sum(files));
    const expected: AnyRecord[] = [];
    for (const g of files) {
      const version = makeVersion('archive', Math.floor((await stat(g.path)).mtimeMs / 1000) * 1000);
      const chunks = parseArchiveFile(g.path, g.size, g.file, { version });
      for (let next = await chunks.next(); next.done !== true; next = await chunks.next()) expected.push(...next.value.records);
    }
    assert.equal(consumed.length, expected.length);
    assert.deepEqual(consumed.sort(byIdentity), expected.sort(byIdentity));
  });

  it('loads nothing of a corrupt zip into ClickHouse, reports it and the 404 day, and exits 1', { timeout: 240_000 }, async (t) => {
    const clickhouse = await clickhouseOrSkip(t);
    if (clickhouse === undefined) return;
    const { env, client } = clickhouse;
    t.after(() => client.close());
    const files = generated.filter((g) => g.file.symbol === SYM_C);
    const corrupt = files.find((g) => g.file.kind === 'trade' && g.file.date === '2025-07-01');
    const gone = files.find((g) => g.file.kind === 'kline' && g.file.date === '2025-07-02');
    assert.ok(corrupt !== undefined && gone !== undefined);
    server.fault(corrupt.key, { kind: 'corrupt' });
    server.fault(gone.key, { kind: '404' });
    server.fault(`${gone.key}.CHECKSUM`, { kind: '404' });
    try {
      const result = await run([SYM_C], 'clickhouse', env, `${await tempDir('sinks-bad')}/m.jsonl`, ['--no-list']);
      assert.equal(result.exitCode, 1, result.stdout + result.stderr);
      assert.equal(result.report.loaded, 2);
      assert.equal(result.report.failed, 1);
      assert.equal(result.report.missingUpstream, 1);
      const failed = result.report.files.find((f) => f.status === 'failed');
      assert.equal(failed?.key, corrupt.key);
      assert.match(failed?.reason ?? '', /checksum mismatch/);
      assert.match(result.report.files.find((f) => f.key === gone.key)?.reason ?? '', /missing upstream/);
    } finally {
      server.fault(corrupt.key, null); server.fault(gone.key, null); server.fault(`${gone.key}.CHECKSUM`, null);
    }
    const loaded = files.filter((g) => g !== corrupt && g !== gone);
    assert.deepEqual(await countsOf(client, [SYM_C]), expectedCounts(loaded));
    const fromCorrupt = await select<{ n: string }>(client, `SELECT toString(count()) AS n FROM lakehouse.trades WHERE ingestId = '${corrupt.key}'`);
    assert.equal(fromCorrupt[0]?.n, '0');
    const dead = await select<{ n: string }>(client, `SELECT toString(count()) AS n FROM lakehouse.dead_letters WHERE symbol = '${SYM_C}'`);
    assert.equal(dead[0]?.n, '0');
  });

  it('loads nothing of a zip that matches its checksum but is corrupt inside (upstream damage), though its rows span many batches', { timeout: 240_000 }, async (t) => {
    const clickhouse = await clickhouseOrSkip(t);
    if (clickhouse === undefined) return;
    const { env, client } = clickhouse;
    t.after(() => client.close());
    const original = generated.find((g) => g.file.symbol === SYM_D && g.file.kind === 'trade' && g.file.date === '2025-07-01');
    assert.ok(original !== undefined);
    const big = await writeArchiveFile(mirror, original.file, { eventsPerDay: 5000 });
    await damageDeflate(big); // the last fifth of the deflate stream, with a matching CHECKSUM

    const result = await run([SYM_D], 'clickhouse', env, `${await tempDir('sinks-damaged')}/m.jsonl`, ['--batch-rows', '200']);
    assert.equal(result.exitCode, 1, result.stdout + result.stderr);
    assert.equal(result.report.loaded, 3);
    const failed = result.report.files.find((f) => f.status === 'failed');
    assert.equal(failed?.key, big.key);
    assert.match(failed?.reason ?? '', /corrupt or truncated zip/);
    const landed = await select<{ n: string }>(client, `SELECT toString(count()) AS n FROM lakehouse.trades WHERE ingestId = '${big.key}'`);
    assert.equal(landed[0]?.n, '0', 'no row of the damaged file reached ClickHouse');
    // Its rows were staged as parsed (one inflate, no separate zip check) and the stage was dropped at the end.
    const staging = await select<{ name: string }>(client, "SELECT name FROM system.tables WHERE database = 'lakehouse' AND name LIKE '%\\_\\_stage\\_%'");
    assert.deepEqual(staging, [], 'no staging table left behind');
    const others = generated.filter((g) => g.file.symbol === SYM_D && g !== original);
    assert.deepEqual(await countsOf(client, [SYM_D]), expectedCounts(others));
  });

  it('into the lake and ClickHouse together (both stage): files damaged at their end leave nothing in either, the intact one lands in both', { timeout: 240_000 }, async (t) => {
    const clickhouse = await clickhouseOrSkip(t);
    if (clickhouse === undefined) return;
    const { env, client } = clickhouse;
    t.after(() => client.close());
    const dir = await tempDir('sinks-both');
    const [intact, badCrc, damaged] = await generateArchiveMirror(dir, { markets: ['spot'], symbols: ['XRPUSDT'], types: ['trades'], fromDay: '2025-07-01', toDay: '2025-07-03', eventsPerDay: 3000 }) as [GeneratedFile, GeneratedFile, GeneratedFile];
    await breakCrc(badCrc);
    await damageDeflate(damaged);
    const lake = await tempDir('sinks-both-lake');
    const database = `both_${process.pid}`;
    t.after(async () => { await client.command({ query: `DROP DATABASE IF EXISTS ${database}` }); });
    const result = await runBackfillJson({ ...backfillCommand, run: (a, context) => backfillCommand.run(a, { ...context, env }) }, [
      '--market', 'spot', '--symbols', 'XRPUSDT', '--types', 'trades', '--from', '2025-07-01', '--to', '2025-07-03', '--archive', dir,
      '--sink', 'parquet,clickhouse', '--lake', lake, '--clickhouse-database', database, '--batch-rows', '500', '--concurrency', '1']);
    assert.equal(result.exitCode, 1, result.stdout + result.stderr);
    assert.deepEqual([result.report.loaded, result.report.failed], [1, 2]);
    const landed = await select<{ ingestId: string; n: string }>(client, `SELECT ingestId, toString(count()) AS n FROM ${database}.trades GROUP BY ingestId`);
    assert.deepEqual(landed, [{ ingestId: intact.key, n: String(intact.rows) }]);
    const staging = await select<{ name: string }>(client, `SELECT name FROM system.tables WHERE database = '${database}' AND name LIKE '%\\_\\_stage\\_%'`);
    assert.deepEqual(staging, [], 'no staging table left behind');
    const files = (await readdir(lake, { recursive: true })).filter((n) => !n.startsWith('_manifest') && /\.[a-z]+$/.test(n));
    assert.ok(files.length >= 6 && files.every((n) => n.endsWith('.parquet') && n.includes('date=2025-07-01')), files.join('\n'));
  });

  it('into the lake and ClickHouse together (record batches): a file with rows out of place and repeated loads every distinct id once into both, exit 0', { timeout: 240_000 }, async (t) => {
    const clickhouse = await clickhouseOrSkip(t);
    if (clickhouse === undefined) return;
    const { env, client } = clickhouse;
    t.after(() => client.close());
    const dir = await tempDir('sinks-order');
    const symbol = runSymbol('O');
    const [file] = await generateArchiveMirror(dir, { markets: ['spot'], symbols: [symbol], types: ['trades'], fromDay: '2025-07-01', toDay: '2025-07-01', eventsPerDay: 3000 });
    assert.ok(file !== undefined);
    const lines = csvLines(file.path);
    for (let i = 10; i + 3 < lines.length; i += 97) [lines[i], lines[i + 3]] = [lines[i + 3]!, lines[i]!]; // rows a few places out
    lines.splice(2500, 0, lines[40]!, lines[1200]!); // verbatim repeats far from their originals, in other batches
    await writeArchiveFile(dir, file.file, { lines });
    const lake = await tempDir('sinks-order-lake');
    const database = `order_${RUN.toLowerCase()}`;
    t.after(async () => { await client.command({ query: `DROP DATABASE IF EXISTS ${database}` }); });
    const result = await runBackfillJson({ ...backfillCommand, run: (a, context) => backfillCommand.run(a, { ...context, env }) }, [
      '--market', 'spot', '--symbols', symbol, '--types', 'trades', '--from', '2025-07-01', '--archive', dir,
      '--sink', 'parquet,clickhouse', '--lake', lake, '--clickhouse-database', database, '--batch-rows', '500']);
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    assert.deepEqual([result.report.rows, result.report.duplicateRows, result.report.rejectedRows], [3000, 2, 0]);
    const [inClickHouse] = await select<{ n: string; ids: string }>(client, `SELECT toString(count()) AS n, toString(uniqExact(tradeId)) AS ids FROM ${database}.trades WHERE symbol = '${symbol}'`);
    assert.deepEqual(inClickHouse, { n: '3000', ids: '3000' });
    const { queryLake } = await import('../../connectors/parquet/query-lake.js');
    assert.deepEqual(await queryLake({ root: lake, sql: 'SELECT count(*)::INTEGER AS n, count(DISTINCT tradeId)::INTEGER AS ids FROM trades' }), [{ n: 3000, ids: 3000 }]);
  });
});

/** Identity order of archive records: kind, symbol, then trade id or kline open time. */
function byIdentity(a: AnyRecord, b: AnyRecord): number {
  const id = (r: AnyRecord): number => (r.kind === 'trade' ? (r as TradeRecord).tradeId : (r as KlineRecord).openTimeUs);
  return a.kind.localeCompare(b.kind) || a.symbol.localeCompare(b.symbol) || id(a) - id(b);
}

/** Commits the group at the topics' current ends, so it reads only what this run produces. */
async function startGroupAtEnd(brokers: string[], groupId: string, topics: string[]): Promise<void> {
  const admin = createKafka({ brokers }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    for (const topic of topics.filter((name) => existing.has(name))) {
      const ends = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({ groupId, topic, partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })) });
    }
  } finally { await admin.disconnect(); }
}

/**
 * Consumes until `count` records of `symbol` arrived (other symbols' records are committed and dropped); after
 * `giveUpMs` it stops with what it has, so a missing record fails the count assertion instead of hanging.
 */
function consumeSymbol(options: FromKafkaOptions, symbol: string, count: number, giveUpMs = 120_000): Promise<AnyRecord[]> {
  return new Promise((resolve, reject) => {
    const records: AnyRecord[] = [];
    const stop = (): void => { clearTimeout(deadline); subscription.unsubscribe(); resolve(records); };
    const deadline = setTimeout(() => stop(), giveUpMs);
    const subscription = fromKafka(options).subscribe({
      next: (batch) => {
        records.push(...batch.records.filter((r) => r.symbol === symbol));
        batch.commit().then(() => { if (records.length >= count) stop(); }, reject);
      },
      error: (error: unknown) => { clearTimeout(deadline); reject(error); },
    });
  });
}
