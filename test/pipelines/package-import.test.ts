/**
 * The package as another project gets it: `npm pack`, the tarball unpacked into a fresh project's node_modules
 * (its dependencies linked from this checkout's node_modules, so no network), then a consumer `.ts` file
 * importing the public entry is type-checked with tsc against the shipped declarations and run, and the
 * installed `lakehouse` binary answers `--version`. Builds dist/ first when it is older than the sources.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../support/fixtures.js';

const run = promisify(execFile);
const SOURCE_DIRS = ['schemas', 'operators', 'connectors', 'pipelines'];
const TSC = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** The consumer: the README's import line, every name typed (not `any`), and a small run of each part. */
const CONSUMER = `
import { from, isObservable, lastValueFrom, mergeMap, toArray, type Observable } from 'rxjs';
import {
  dedupe, dirSource, fromBinanceArchive, fromBinanceLive, makeVersion, parseTypeRequests, planArchiveFiles, resample, toClickHouse, unlistedPlan,
  type AnyRecord, type ArchiveEvent, type DedupeOptions, type KlineRecord, type ResampleOptions, type TradeRecord,
} from 'crypto-lakehouse';

type IsAny<T> = 0 extends 1 & T ? true : false;
const anyTyped: [IsAny<typeof fromBinanceArchive>, IsAny<typeof fromBinanceLive>, IsAny<typeof dedupe>, IsAny<typeof resample>,
  IsAny<typeof toClickHouse>, IsAny<TradeRecord>] = [false, false, false, false, false, false];

const T0 = Date.UTC(2026, 4, 8) * 1000;
const trade = (tradeId: number, eventTimeUs: number, price: number, qty: number): TradeRecord => ({
  kind: 'trade', exchange: 'binance', market: 'spot', symbol: 'BTCUSDT', eventTimeUs, source: 'archive', receiveTimeUs: null,
  ingestId: 'consumer:' + tradeId, version: makeVersion('archive', 1), tradeId, price, qty, quoteQty: price * qty,
  contracts: null, baseQty: null, isBuyerMaker: false, isBestMatch: true,
});
const dedupeOptions: DedupeOptions = { maxOutOfOrderUs: 0 };
const resampleOptions: ResampleOptions = { intervals: ['1m'], passThrough: false };
const input = [trade(1, T0, 100, 1), trade(2, T0 + 1000, 101, 2), trade(2, T0 + 1000, 101, 2), trade(3, T0 + 60_000_000 + 5, 99, 3)];
const out: AnyRecord[] = await lastValueFrom(from(input).pipe(dedupe(dedupeOptions), resample(resampleOptions), toArray()));
const bars = out.filter((r): r is KlineRecord => r.kind === 'kline')
  .map((k) => [k.openTimeUs - T0, k.open, k.high, k.low, k.close, k.volume, k.tradeCount]);

// The README's archive example: one real day of 1h klines from a directory in Binance's layout.
const planned = planArchiveFiles({ markets: ['spot'], symbols: ['BTCUSDT'], types: parseTypeRequests(['klines:1h']), fromDay: '2026-05-08', toDay: '2026-05-08' });
const archive: Observable<ArchiveEvent> = fromBinanceArchive({ files: unlistedPlan(planned).files, source: dirSource('mirror') });
const archiveEvents = await lastValueFrom(archive.pipe(mergeMap(async (event) => {
  if (event.type !== 'load') return [event.outcome.status, 0];
  let rows = 0;
  try {
    for await (const batch of event.batches) rows += batch.records.length;
  } catch (error) {
    return [event.outcome(error).status, rows];
  }
  return [event.outcome().status, rows];
}), toArray()));
const live: Observable<AnyRecord> = fromBinanceLive({ market: 'spot', symbols: ['BTCUSDT'], types: ['trade'] });
const sink = toClickHouse({ config: { url: 'http://127.0.0.1:9' } });

console.log(JSON.stringify({ anyTyped, bars, archiveEvents, archive: isObservable(archive), live: isObservable(live), sink: typeof sink }));
`;

/** True when every source file has a `.js` and a `.d.ts` in dist/ at least as new as it and the build config. */
async function distIsFresh(): Promise<boolean> {
  const config = Math.max(...await Promise.all(['tsconfig.json', 'tsconfig.build.json'].map(async (f) => (await stat(join(REPO_ROOT, f))).mtimeMs)));
  try {
    for (const dir of SOURCE_DIRS) {
      for (const name of await readdir(join(REPO_ROOT, dir), { recursive: true })) {
        if (!name.endsWith('.ts')) continue;
        const newest = Math.max(config, (await stat(join(REPO_ROOT, dir, name))).mtimeMs);
        for (const ext of ['.js', '.d.ts']) {
          if ((await stat(join(REPO_ROOT, 'dist', dir, name.replace(/\.ts$/, ext)))).mtimeMs < newest) return false;
        }
      }
    }
    return true;
  } catch {
    return false;
  }
}

describe('the packed package, installed in another project', () => {
  let work = '';
  let project = '';
  let files: string[] = [];
  let version = '';

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'lakehouse-pack-'));
    if (!(await distIsFresh())) await run('npm', ['run', 'build'], { cwd: REPO_ROOT, maxBuffer: 1 << 26 });
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: REPO_ROOT, maxBuffer: 1 << 26 });
    const [packed] = JSON.parse(stdout) as { filename: string; version: string; files: { path: string }[] }[];
    files = packed.files.map((f) => f.path);
    version = packed.version;
    project = join(work, 'consumer');
    const installed = join(project, 'node_modules', 'crypto-lakehouse');
    await mkdir(installed, { recursive: true });
    await run('tar', ['-xzf', join(work, packed.filename), '-C', installed, '--strip-components=1']);
    for (const dep of await readdir(join(REPO_ROOT, 'node_modules'))) {
      if (dep.startsWith('.') || dep === 'crypto-lakehouse') continue;
      await symlink(join(REPO_ROOT, 'node_modules', dep), join(project, 'node_modules', dep));
    }
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await writeFile(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, types: ['node'], skipLibCheck: false, outDir: 'out' },
      files: ['consumer.ts'],
    }));
    await writeFile(join(project, 'consumer.ts'), CONSUMER);
    const day = join(project, 'mirror', 'data', 'spot', 'daily', 'klines', 'BTCUSDT', '1h');
    await mkdir(day, { recursive: true });
    for (const name of ['BTCUSDT-1h-2026-05-08.zip', 'BTCUSDT-1h-2026-05-08.zip.CHECKSUM']) await copyFile(join(REPO_ROOT, 'test', 'fixtures', 'real', name), join(day, name));
  });

  after(() => rm(work, { recursive: true, force: true }));

  it('ships the build with its declarations, the CLI and its infra scripts, but no sources, tests or fixtures', () => {
    for (const path of ['package.json', 'dist/pipelines/index.js', 'dist/pipelines/index.d.ts', 'dist/operators/dedupe.d.ts', 'bin/lakehouse.mjs', 'infra/local/infra.sh', 'docs/ARCHITECTURE.md']) {
      assert.ok(files.includes(path), `${path} in the tarball`);
    }
    assert.deepEqual(files.filter((f) => f.startsWith('test/') || f.startsWith('dist/test/') || f.startsWith('dist/bench/') || f.endsWith('.map') || (f.endsWith('.ts') && !f.endsWith('.d.ts'))), []);
  });

  it('type-checks a consumer importing fromBinanceArchive, fromBinanceLive, dedupe, resample and toClickHouse against the shipped declarations, and runs it', async () => {
    // Declarations are checked too (skipLibCheck off); errors inside other packages' own .d.ts files are theirs.
    const output = await run(process.execPath, [TSC, '-p', project], { cwd: project, maxBuffer: 1 << 26 })
      .then(({ stdout }) => stdout, (error: { stdout?: string }) => error.stdout ?? String(error));
    const ours = output.split('\n').filter((line) => /error TS\d+/.test(line) && (line.startsWith('consumer.ts') || line.startsWith('error') || line.includes('crypto-lakehouse/')));
    assert.deepEqual(ours, [], 'tsc errors in the consumer or the shipped declarations');
    const { stdout } = await run(process.execPath, [join(project, 'out', 'consumer.js')], { cwd: project });
    assert.deepEqual(JSON.parse(stdout), {
      anyTyped: [false, false, false, false, false, false],
      bars: [[0, 100, 101, 100, 101, 3, 2], [60_000_000, 99, 99, 99, 99, 3, 1]],
      archiveEvents: [['loaded', 24]], archive: true, live: true, sink: 'function',
    });
  });

  it('runs the installed lakehouse binary from the build: --version prints the package version', async () => {
    const bin = join(project, 'node_modules', 'crypto-lakehouse', 'bin', 'lakehouse.mjs');
    const { stdout } = await run(process.execPath, [bin, '--version'], { cwd: project });
    assert.equal(stdout, `${version}\n`);
    assert.equal(JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')).version, version);
  });
});
