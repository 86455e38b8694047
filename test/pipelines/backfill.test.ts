import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, rm, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { stagedNameOf } from '../../connectors/parquet/lake-hidden-files.js';
import { rowBinaryEncoding } from '../../connectors/clickhouse/row-binary-encoding.js';
import { parquetColumnsEncoding } from '../../connectors/parquet/parquet-columns-encoding.js';
import { CLICKHOUSE_BATCH_ROWS, ENCODED_CLICKHOUSE_BATCH_ROWS, LAKE_BATCH_ROWS, backfillCommand, batchRowsFor } from '../../pipelines/backfill.js';
import { generateArchiveMirror, writeArchiveFile, type GeneratedFile } from '../support/archive-mirror.js';
import { startArchiveServer, type ArchiveServer } from '../support/archive-server.js';
import { breakCrc, damageDeflate, writeChecksum, writeZip } from '../support/archive-zip.js';
import { runBackfillJson, runCommand, removeTempDirs, tempDir } from './backfill-support.js';

after(removeTempDirs);

const REQUEST = ['--market', 'spot', '--symbols', 'BTCUSDT', '--types', 'klines:1h,trades', '--from', '2025-07-01', '--to', '2025-07-02'];
const KLINE_DAY1 = 'data/spot/daily/klines/BTCUSDT/1h/BTCUSDT-1h-2025-07-01.zip';
const TRADES_DAY2 = 'data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2025-07-02.zip';

describe('lakehouse backfill against a generated mirror over HTTP', () => {
  let mirror = '';
  let generated: GeneratedFile[] = [];
  let server: ArchiveServer;

  before(async () => {
    mirror = await tempDir('mirror');
    generated = await generateArchiveMirror(mirror, { markets: ['spot'], symbols: ['BTCUSDT'], types: ['klines:1h', 'trades'], fromDay: '2025-07-01', toDay: '2025-07-02', eventsPerDay: 50 });
    server = await startArchiveServer(mirror, { pageSize: 2 });
  });
  after(async () => { await server.close(); await rm(mirror, { recursive: true, force: true }); });

  const backfill = async (extra: string[] = [], lake?: string) => {
    const dir = lake ?? await tempDir('lake');
    const run = await runBackfillJson(backfillCommand, [...REQUEST, '--archive', server.url, '--lake', dir, '--concurrency', '2', '--timeout-ms', '400', ...extra]);
    return { ...run, lake: dir };
  };

  it('loads every planned file, pages through the listing, and skips them all on a rerun', async () => {
    const first = await backfill();
    assert.equal(first.exitCode, 0, first.stdout);
    assert.equal(first.report.planned, 4);
    assert.equal(first.report.loaded, 4);
    assert.equal(first.report.rows, generated.reduce((s, g) => s + g.rows, 0));
    assert.ok(server.requests.some((r) => r.includes('marker=')), 'the listing was paged');
    const second = await backfill([], first.lake);
    assert.equal(second.exitCode, 0);
    assert.equal(second.report.skipped, 4);
    assert.equal(second.report.loaded, 0);
  });

  it('--plan lists files and bytes without fetching any zip', async () => {
    const before = server.requests.length;
    const run = await backfill(['--plan']);
    const plan = JSON.parse(run.stdout) as { files: { key: string; size: number }[]; totalBytes: number };
    assert.equal(plan.files.length, 4);
    assert.equal(plan.totalBytes, generated.reduce((s, g) => s + g.size, 0));
    assert.ok(!server.requests.slice(before).some((r) => r.endsWith('.zip')));
  });

  it('retries a 5xx and a stalled response, then loads the file', async () => {
    server.fault(KLINE_DAY1, { kind: '500', times: 1 });
    server.fault(TRADES_DAY2, { kind: 'stall', times: 1 });
    try {
      const run = await backfill();
      assert.equal(run.exitCode, 0, run.stdout);
      assert.equal(run.report.loaded, 4);
    } finally { server.fault(KLINE_DAY1, null); server.fault(TRADES_DAY2, null); }
  });

  for (const [kind, pattern] of [
    ['500', /HTTP 500/], ['stall', /stalled|no response/], ['html', /expected a zip, got an HTML\/XML page/], ['corrupt', /checksum mismatch.*quarantined/],
  ] as const) {
    it(`reports a file that keeps failing (${kind}) with its reason, loads the others and exits 1`, async () => {
      server.fault(KLINE_DAY1, { kind });
      try {
        const run = await backfill();
        assert.equal(run.exitCode, 1);
        assert.equal(run.report.failed, 1);
        assert.equal(run.report.loaded, 3);
        const failed = run.report.files.find((f) => f.status === 'failed');
        assert.equal(failed?.key, KLINE_DAY1);
        assert.match(failed?.reason ?? '', pattern);
        if (kind === 'corrupt') {
          const quarantined = await readdir(join(run.lake, '_manifest', 'quarantine', 'data/spot/daily/klines/BTCUSDT/1h'));
          assert.deepEqual(quarantined, ['BTCUSDT-1h-2025-07-01.zip']);
        }
      } finally { server.fault(KLINE_DAY1, null); }
    });
  }

  it('reports a truncated zip loaded with --no-verify as corrupt, naming the file, and exits 1', async () => {
    server.fault(KLINE_DAY1, { kind: 'truncate' });
    try {
      const run = await backfill(['--no-verify']);
      assert.equal(run.exitCode, 1);
      assert.match(run.report.files[0]?.reason ?? '', /BTCUSDT-1h-2025-07-01.zip: corrupt or truncated zip/);
    } finally { server.fault(KLINE_DAY1, null); }
  });

  it('explains a day missing upstream (404 with --no-list) and exits 0', async () => {
    server.fault(TRADES_DAY2, { kind: '404' });
    server.fault(`${TRADES_DAY2}.CHECKSUM`, { kind: '404' });
    try {
      const run = await backfill(['--no-list']);
      assert.equal(run.exitCode, 0, run.stdout);
      assert.equal(run.report.missingUpstream, 1);
      assert.match(run.report.files[0]?.reason ?? '', /missing upstream/);
    } finally { server.fault(TRADES_DAY2, null); server.fault(`${TRADES_DAY2}.CHECKSUM`, null); }
  });

  it('stops cleanly on interrupt, prints the report and exits 130; a rerun resumes', async () => {
    server.fault(KLINE_DAY1, { kind: 'stall' });
    const lake = await tempDir('lake');
    const controller = new AbortController();
    try {
      const started = server.requests.length;
      const stalled = setInterval(() => {
        if (server.requests.slice(started).some((r) => r.endsWith('BTCUSDT-1h-2025-07-01.zip'))) { clearInterval(stalled); controller.abort(); }
      }, 20);
      const args = [...REQUEST, '--archive', server.url, '--lake', lake, '--concurrency', '1', '--timeout-ms', '5000', '--json'];
      const run = await runCommand(backfillCommand, args, {}, controller.signal);
      assert.equal(run.exitCode, 130);
      assert.equal((JSON.parse(run.stdout) as { loaded: number }).loaded, 0);
    } finally { server.fault(KLINE_DAY1, null); }
    const rerun = await backfill([], lake);
    assert.equal(rerun.exitCode, 0);
    assert.equal(rerun.report.loaded, 4);
  });

  it('fails a symbol that does not exist, with a clear message, while loading the real one', async () => {
    const run = await backfill(['--symbols', 'BTCUSDT,NOSUCHCOIN']);
    assert.equal(run.exitCode, 1);
    assert.equal(run.report.loaded, 4);
    assert.deepEqual(run.report.unknownSymbols, ['spot klines NOSUCHCOIN', 'spot trades NOSUCHCOIN']);
    assert.match(run.report.files.find((f) => f.key.includes('NOSUCHCOIN'))?.reason ?? '', /unknown or delisted symbol/);
  });
});

describe('lakehouse backfill on bad archive contents (local directory)', () => {
  let mirror = '';
  before(async () => {
    mirror = await tempDir('badmirror');
    await generateArchiveMirror(mirror, { markets: ['spot'], symbols: ['BTCUSDT'], types: ['klines:1h'], fromDay: '2025-07-01', toDay: '2025-07-03' });
  });
  after(async () => { await rm(mirror, { recursive: true, force: true }); });
  const klineArgs = (dir: string, lake: string) => ['--market', 'spot', '--symbols', 'BTCUSDT', '--types', 'klines:1h', '--from', '2025-07-01', '--to', '2025-07-03', '--archive', dir, '--lake', lake];

  it('sends malformed rows to the DLQ with file and line, counts a verbatim duplicate (not loaded twice), loads the rest, and exits 3', async () => {
    const dir = await tempDir('rows');
    await cp(mirror, dir, { recursive: true });
    const file = (await generateArchiveMirror(await tempDir('x'), { markets: ['spot'], symbols: ['BTCUSDT'], types: ['klines:1h'], fromDay: '2025-07-02', toDay: '2025-07-02' }))[0];
    assert.ok(file !== undefined);
    const good = (await import('../support/archive-rows.js')).archiveRows({ ...file.file, startUs: file.file.rangeStartUs, endUs: file.file.rangeEndUs, seed: 1 });
    const lines = [...good].join('').trim().split('\n');
    const bad = [lines[0] ?? '', 'garbage,row', lines[1] ?? '', lines[1] ?? '', ...lines.slice(2)];
    await writeArchiveFile(dir, file.file, { lines: bad });
    const lake = await tempDir('lake');
    const run = await runBackfillJson(backfillCommand, klineArgs(dir, lake));
    assert.equal(run.exitCode, 3, run.stdout);
    assert.equal(run.report.loaded, 3);
    assert.equal(run.report.rejectedRows, 1);
    assert.equal(run.report.duplicateRows, 1);
    assert.equal(run.report.rows, 24 * 3);
    const { queryLake } = await import('../../connectors/parquet/query-lake.js');
    const dead = await queryLake({ root: lake, sql: 'SELECT originFile, originLine::INTEGER AS line FROM deadLetters ORDER BY line' });
    assert.equal(dead.length, 1, JSON.stringify(dead));
    assert.ok(dead.every((d) => String(d.originFile).endsWith('BTCUSDT-1h-2025-07-02.zip')), JSON.stringify(dead));
    assert.deepEqual(await queryLake({ root: lake, sql: 'SELECT count(*)::INTEGER AS n FROM klines_1h' }), [{ n: 24 * 3 }]);
  });

  it('fails a zip without the expected CSV member, naming the members', async () => {
    const dir = await tempDir('nocsv');
    await cp(mirror, dir, { recursive: true });
    const key = 'data/spot/daily/klines/BTCUSDT/1h/BTCUSDT-1h-2025-07-03.zip';
    const { sha256 } = await writeZip(join(dir, key), [{ name: 'README.txt', content: ['nothing here'] }]);
    await writeChecksum(join(dir, key), sha256, true);
    const run = await runBackfillJson(backfillCommand, klineArgs(dir, await tempDir('lake')));
    assert.equal(run.exitCode, 1);
    assert.match(run.report.files[0]?.reason ?? '', /BTCUSDT-1h-2025-07-03.zip: zip holds no CSV member BTCUSDT-1h-2025-07-03.csv \(members: README.txt\)/);
  });

  it('re-ingests a file whose upstream checksum changed, skipping the unchanged ones and replacing its old lake parts', async () => {
    const dir = await tempDir('republish');
    await cp(mirror, dir, { recursive: true });
    const lake = await tempDir('lake');
    assert.equal((await runBackfillJson(backfillCommand, klineArgs(dir, lake))).report.loaded, 3);
    const key = 'data/spot/daily/klines/BTCUSDT/1h/BTCUSDT-1h-2025-07-02.zip';
    const csv = (await import('node:child_process')).execFileSync('unzip', ['-p', join(dir, key)]).toString().trim().split('\n');
    await writeArchiveFile(dir, { ...(await import('../../connectors/binance-archive/plan.js')).planArchiveFiles({ markets: ['spot'], symbols: ['BTCUSDT'], types: [{ dataType: 'klines', interval: '1h' }], fromDay: '2025-07-02', toDay: '2025-07-02' })[0]! }, { lines: csv.slice(0, 23) });
    const rerun = await runBackfillJson(backfillCommand, klineArgs(dir, lake));
    assert.equal(rerun.report.loaded, 1);
    assert.equal(rerun.report.skipped, 2);
    const manifest = (await readFile(join(lake, '_manifest', 'backfill-parquet.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { key: string; rows: number });
    assert.equal(manifest.filter((e) => e.key === key).at(-1)?.rows, 23);
    const day = join(lake, 'exchange=binance/market=spot/type=klines_1h/symbol=BTCUSDT/date=2025-07-02');
    const parts = (await readdir(day)).filter((n) => n.endsWith('.parquet'));
    assert.equal(parts.length, 1, parts.join(', '));
    const newSha = (manifest.filter((e) => e.key === key).at(-1) as unknown as { sha256: string }).sha256;
    assert.ok(parts[0]?.includes(newSha.slice(0, 16)));
  });
});

describe('lakehouse backfill into a local lake alone (early-mapped columns, files staged until their zip verified)', () => {
  it('publishes every row of an intact file and nothing (not even a hidden staged file) of one whose CRC-32 or deflate data is damaged at the end', async () => {
    const dir = await tempDir('staged-lake');
    const [intact, badCrc, damaged] = await generateArchiveMirror(dir, { markets: ['spot'], symbols: ['BTCUSDT'], types: ['trades'], fromDay: '2025-07-01', toDay: '2025-07-03', eventsPerDay: 6000 }) as [GeneratedFile, GeneratedFile, GeneratedFile];
    await breakCrc(badCrc);
    await damageDeflate(damaged);
    const lake = await tempDir('lake');
    const run = await runBackfillJson(backfillCommand, ['--market', 'spot', '--symbols', 'BTCUSDT', '--types', 'trades', '--from', '2025-07-01', '--to', '2025-07-03',
      '--archive', dir, '--lake', lake, '--batch-rows', '1000', '--concurrency', '1']);
    assert.equal(run.exitCode, 1, run.stdout);
    assert.deepEqual([run.report.loaded, run.report.failed, run.report.rows], [1, 2, intact.rows]);
    assert.match(run.stdout, /BTCUSDT-trades-2025-07-02\.zip.*CRC-32 mismatch/);
    assert.match(run.stdout, /BTCUSDT-trades-2025-07-03\.zip: corrupt or truncated zip/);
    const files = (await readdir(lake, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
    const parts = files.filter((f) => f.endsWith('.parquet'));
    assert.ok(parts.length >= 6, `the intact file in several parts (${parts.length})`);
    assert.ok(parts.every((f) => f.includes('date=2025-07-01')), parts.join('\n'));
    assert.deepEqual(files.filter((f) => !f.endsWith('.parquet') && !f.includes('_manifest')), [], 'no staged or temporary file left');
    const { queryLake } = await import('../../connectors/parquet/query-lake.js');
    assert.deepEqual(await queryLake({ root: lake, sql: 'SELECT count(*)::INTEGER AS n, count(DISTINCT tradeId)::INTEGER AS ids FROM trades' }), [{ n: intact.rows, ids: intact.rows }]);
  });
});

describe('lakehouse backfill parts do not depend on the sinks', () => {
  it('a lake-alone backfill (rows mapped as parsed, in 2,048-row runs) cuts the parts the record path cuts: same names, same bytes', async () => {
    const dir = await tempDir('parts-mirror');
    await generateArchiveMirror(dir, { markets: ['spot'], symbols: ['BTCUSDT'], types: ['trades'], fromDay: '2025-07-01', toDay: '2025-07-01', eventsPerDay: 12_000 });
    // 5,000 is no multiple of the 2,048-row runs: the runs must be cut where the batches end.
    const early = await tempDir('parts-early');
    const run = await runBackfillJson(backfillCommand, ['--market', 'spot', '--symbols', 'BTCUSDT', '--types', 'trades', '--from', '2025-07-01', '--archive', dir, '--lake', early, '--batch-rows', '5000']);
    assert.equal(run.exitCode, 0, run.stdout);
    const recordsLake = await tempDir('parts-records');
    const { runBackfill } = await import('../../pipelines/backfill-run.js');
    const { toParquetLake } = await import('../../connectors/parquet/to-parquet-lake.js');
    const { planArchiveFiles } = await import('../../connectors/binance-archive/plan.js');
    const { resolveAvailability } = await import('../../connectors/binance-archive/availability.js');
    const { dirSource } = await import('../../connectors/binance-archive/source-dir.js');
    const source = dirSource(dir);
    const plan = await resolveAvailability(planArchiveFiles({ markets: ['spot'], symbols: ['BTCUSDT'], types: [{ dataType: 'trades', interval: null }], fromDay: '2025-07-01', toDay: '2025-07-01' }), source);
    const report = await runBackfill({ plan, source, sinks: [toParquetLake({ root: recordsLake })], concurrency: 1, verify: true, validate: true, batchRows: 5000, spoolDir: await tempDir('parts-spool') });
    assert.equal(report.exitCode, 0);
    const parts = async (root: string): Promise<string[]> => (await readdir(root, { recursive: true })).filter((n) => n.endsWith('.parquet')).sort();
    assert.equal((await parts(recordsLake)).length, 3, 'parts of 5,000, 5,000 and 2,000 rows');
    assert.deepEqual(await parts(early), await parts(recordsLake));
    for (const name of await parts(early)) assert.deepEqual(await readFile(join(early, name)), await readFile(join(recordsLake, name)), name);
  });
});

describe('lakehouse backfill reloading a file into a local lake', () => {
  it('leaves exactly the new run\'s parts of the file, whatever an earlier run of the same bytes cut or left staged', async () => {
    const dir = await tempDir('reload-mirror');
    await generateArchiveMirror(dir, { markets: ['spot'], symbols: ['BTCUSDT'], types: ['trades'], fromDay: '2025-07-01', toDay: '2025-07-01', eventsPerDay: 12_000 });
    const lake = await tempDir('reload-lake');
    const args = (batchRows: number): string[] => ['--market', 'spot', '--symbols', 'BTCUSDT', '--types', 'trades', '--from', '2025-07-01', '--archive', dir, '--lake', lake, '--batch-rows', String(batchRows)];
    assert.equal((await runBackfillJson(backfillCommand, args(2000))).exitCode, 0);
    const day = join(lake, 'exchange=binance/market=spot/type=trades/symbol=BTCUSDT/date=2025-07-01');
    const first = (await readdir(day)).sort();
    assert.equal(first.length, 6);
    // A run killed while staging left a hidden part of the same unit behind (its writer has no heartbeat).
    await cp(join(day, first[0] ?? ''), join(day, stagedNameOf(first[5] ?? '', 'dead0000dead0000')));
    await rm(join(lake, '_manifest'), { recursive: true }); // the file is loaded again (as with another sink set's manifest)
    const rerun = await runBackfillJson(backfillCommand, args(5000));
    assert.equal(rerun.exitCode, 0, rerun.stdout);
    const parts = (await readdir(day)).sort();
    assert.equal(parts.length, 3, parts.join(', '));
    const { queryLake } = await import('../../connectors/parquet/query-lake.js');
    assert.deepEqual(await queryLake({ root: lake, sql: 'SELECT count(*)::INTEGER AS n, count(DISTINCT tradeId)::INTEGER AS ids FROM trades' }), [{ n: 12_000, ids: 12_000 }]);
  });
});

describe('lakehouse backfill monthly files', () => {
  it('falls back from a missing monthly file to its dailies, with and without the listing', async () => {
    const dir = await tempDir('monthly');
    const files = await generateArchiveMirror(dir, { markets: ['um'], symbols: ['BTCUSDT'], types: ['klines:1d'], fromDay: '2025-06-01', toDay: '2025-06-30', withFallbackDailies: true });
    const monthly = files.find((f) => f.file.period === 'monthly');
    assert.equal(monthly?.key, 'data/futures/um/monthly/klines/BTCUSDT/1d/BTCUSDT-1d-2025-06.zip');
    await rm(join(dir, monthly.key));
    await rm(join(dir, `${monthly.key}.CHECKSUM`));
    const args = ['--market', 'um', '--symbols', 'BTCUSDT', '--types', 'klines:1d', '--from', '2025-06-01', '--to', '2025-06-30', '--archive', dir];
    for (const extra of [[], ['--no-list']]) {
      const run = await runBackfillJson(backfillCommand, [...args, '--lake', await tempDir('lake'), ...extra]);
      assert.equal(run.exitCode, 0, run.stdout);
      assert.equal(run.report.loaded, 30, extra.join(' '));
      assert.equal(run.report.rows, 30);
    }
  });

  it('loads only the requested days of a monthly-only type and counts the rest', async () => {
    const dir = await tempDir('funding');
    await generateArchiveMirror(dir, { markets: ['um'], symbols: ['BTCUSDT'], types: ['fundingRate'], fromDay: '2025-06-01', toDay: '2025-06-30' });
    const run = await runBackfillJson(backfillCommand, ['--market', 'um', '--symbols', 'BTCUSDT', '--types', 'fundingRate', '--from', '2025-06-10', '--to', '2025-06-11', '--archive', dir, '--lake', await tempDir('lake')]);
    assert.equal(run.exitCode, 0, run.stdout);
    assert.equal(run.report.rows, 6);
    assert.equal(run.report.outOfRangeRows, 90 - 6);
  });
});

describe('records per batch', () => {
  it('is lake-sized with the lake among the sinks, larger for ClickHouse without it, largest for a ClickHouse server alone (encoded), and --batch-rows wins', () => {
    assert.equal(LAKE_BATCH_ROWS, 20_000);
    assert.equal(CLICKHOUSE_BATCH_ROWS, 100_000);
    assert.equal(batchRowsFor(undefined, ['parquet']), LAKE_BATCH_ROWS);
    assert.equal(batchRowsFor(undefined, ['parquet', 'clickhouse']), LAKE_BATCH_ROWS);
    assert.equal(batchRowsFor(undefined, ['kafka']), LAKE_BATCH_ROWS);
    assert.equal(batchRowsFor(undefined, ['clickhouse']), CLICKHOUSE_BATCH_ROWS);
    assert.equal(batchRowsFor(undefined, ['clickhouse', 'kafka']), CLICKHOUSE_BATCH_ROWS);
    assert.equal(batchRowsFor(5000, ['clickhouse']), 5000);
    assert.equal(ENCODED_CLICKHOUSE_BATCH_ROWS, 400_000);
    assert.equal(batchRowsFor(undefined, ['clickhouse'], rowBinaryEncoding), ENCODED_CLICKHOUSE_BATCH_ROWS);
    assert.equal(batchRowsFor(5000, ['clickhouse'], rowBinaryEncoding), 5000);
    assert.equal(batchRowsFor(undefined, ['parquet'], parquetColumnsEncoding), LAKE_BATCH_ROWS);
  });
});

describe('lakehouse backfill while the sinks prepare', () => {
  it('fails with the ClickHouse preparation error, writing nothing and recording no file, when the server answers only after the parse began', async () => {
    const { createServer } = await import('node:http');
    const requests: string[] = [];
    // Answers every request late and with an error: the files are fetched and parsed meanwhile.
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      request.on('end', () => {
        requests.push(`${request.url ?? ''} ${body}`);
        setTimeout(() => { response.writeHead(500, { 'content-type': 'text/plain' }); response.end('Code: 516. DB::Exception: Authentication failed'); }, 300);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
    try {
      const dir = await tempDir('prepare');
      await generateArchiveMirror(dir, { markets: ['spot'], symbols: ['BTCUSDT'], types: ['klines:1m'], fromDay: '2025-07-01', toDay: '2025-07-02' });
      const manifest = join(await tempDir('prepare-manifest'), 'manifest.jsonl');
      await assert.rejects(
        runCommand(backfillCommand, ['--market', 'spot', '--symbols', 'BTCUSDT', '--types', 'klines:1m', '--from', '2025-07-01', '--to', '2025-07-02', '--archive', dir,
          '--sink', 'clickhouse', '--clickhouse-url', url, '--manifest', manifest, '--json']),
        (error: Error) => error.name === 'SinkWriteError' && error.message.startsWith(`ClickHouse at ${url}: creating the tables of database lakehouse failed: `) && /Authentication failed/.test(error.message),
      );
      assert.ok(requests.length >= 1);
      assert.ok(requests.every((r) => !/INSERT|CREATE TABLE/.test(r)), requests.join('\n'));
      const recorded = await readFile(manifest, 'utf8').catch(() => '');
      assert.equal(recorded.trim(), '', 'no file outcome is recorded');
    } finally {
      server.close();
    }
  });
});
