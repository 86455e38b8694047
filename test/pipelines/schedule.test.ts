/** Schedules: relative days (`--from yesterday`, `-7d`) and `backfill --since-last` continuing from the manifest. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { backfillCommand } from '../../pipelines/backfill.js';
import { resolveConfig } from '../../pipelines/config.js';
import { gapsCommand } from '../../pipelines/gaps.js';
import { lakeStreamOf } from '../../pipelines/lake-stream.js';
import { archiveRequestOf } from '../../pipelines/archive-options.js';
import { resolveDay } from '../../pipelines/relative-day.js';
import { ConfigError } from '../../schemas/errors.js';
import { runCommand } from './backfill-support.js';

const NOW = Date.parse('2026-03-01T00:30:00Z'); // just after midnight UTC, the day after a February 28

describe('relative days', () => {
  it('resolves today, yesterday, -Nd and -Nw in UTC, and keeps absolute days', () => {
    assert.equal(resolveDay('today', NOW), '2026-03-01');
    assert.equal(resolveDay('yesterday', NOW), '2026-02-28');
    assert.equal(resolveDay('-7d', NOW), '2026-02-22');
    assert.equal(resolveDay('-2w', NOW), '2026-02-15');
    assert.equal(resolveDay('-0d', NOW), '2026-03-01');
    assert.equal(resolveDay('2025-07-01', NOW), '2025-07-01');
    for (const bad of ['tomorrow', '+1d', '-1m', '7d', '']) assert.throws(() => resolveDay(bad, NOW), ConfigError, bad);
  });

  it('backfill and gaps take them for --from and --to', () => {
    const backfill = resolveConfig('backfill', backfillCommand.options, ['--symbols', 'BTCUSDT', '--types', 'trades', '--from', '-7d', '--to', 'yesterday'], {}).config;
    const request = archiveRequestOf(backfill, 'backfill', NOW);
    assert.deepEqual([request.fromDay, request.toDay], ['2026-02-22', '2026-02-28']);
    const gaps = resolveConfig('gaps', gapsCommand.options, ['--symbol', 'BTCUSDT', '--type', 'trades', '--from', 'yesterday'], {}).config;
    const { range } = lakeStreamOf(gaps, 'gaps', '', NOW);
    assert.deepEqual([new Date(range.fromUs / 1000).toISOString(), new Date(range.toUs / 1000).toISOString()], ['2026-02-28T00:00:00.000Z', '2026-03-01T00:00:00.000Z']);
  });
});

describe('backfill --since-last', () => {
  const dir = mkdtempSync(join(tmpdir(), 'since-last-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const entry = (key: string): string => JSON.stringify({ key, size: 1, sha256: 'x', rows: 1, status: 'loaded', loadedAt: '2025-07-02T00:00:00Z', lastModifiedMs: null }) + '\n';
  const plan = async (manifest: string, extra: string[]) => {
    const run = await runCommand(backfillCommand, ['--symbols', 'AAAUSDT,BBBUSDT', '--types', 'trades', '--since-last', '--plan', '--no-list', '--json', '--period', 'daily', '--archive', dir, '--manifest', manifest, ...extra]);
    return { ...run, days: run.exitCode === 0 && run.stdout !== '' ? [...new Set((JSON.parse(run.stdout) as { files: { key: string }[] }).files.map((f) => /(\d{4}-\d{2}-\d{2})\.zip$/.exec(f.key)?.[1]))].sort() : [] };
  };

  it('continues from the day after the earliest last loaded day of the symbols, through --to', async () => {
    const manifest = join(dir, 'm1.jsonl');
    writeFileSync(manifest, entry('data/spot/daily/trades/AAAUSDT/AAAUSDT-trades-2025-07-03.zip') + entry('data/spot/daily/trades/BBBUSDT/BBBUSDT-trades-2025-07-01.zip') + entry('data/spot/monthly/trades/AAAUSDT/AAAUSDT-trades-2025-06.zip'));
    const run = await plan(manifest, ['--to', '2025-07-04']);
    assert.equal(run.exitCode, 0, run.stderr);
    assert.deepEqual(run.days, ['2025-07-02', '2025-07-03', '2025-07-04']);
  });

  it('needs --from while a symbol has nothing loaded, and does nothing once everything up to --to is loaded', async () => {
    const manifest = join(dir, 'm2.jsonl');
    writeFileSync(manifest, entry('data/spot/daily/trades/AAAUSDT/AAAUSDT-trades-2025-07-03.zip'));
    await assert.rejects(plan(manifest, ['--to', '2025-07-04']), { name: 'ConfigError', message: /nothing loaded yet for BBBUSDT/ });
    const first = await plan(manifest, ['--from', '2025-07-02', '--to', '2025-07-02']);
    assert.deepEqual(first.days, ['2025-07-02']);
    writeFileSync(manifest, entry('data/spot/daily/trades/AAAUSDT/AAAUSDT-trades-2025-07-03.zip') + entry('data/spot/daily/trades/BBBUSDT/BBBUSDT-trades-2025-07-03.zip'));
    const done = await plan(manifest, ['--to', '2025-07-03']);
    assert.equal(done.exitCode, 0);
    assert.match(done.stderr, /nothing to do/);
  });
});

describe('backfill --plan', () => {
  it('reports what the run would fail on (a sink without its endpoint) and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plan-preflight-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const request = ['--symbols', 'BTCUSDT', '--types', 'trades', '--from', '2025-07-01', '--plan', '--no-list', '--archive', dir];
    const failing = await runCommand(backfillCommand, [...request, '--sink', 'kafka,clickhouse', '--json']);
    assert.equal(failing.exitCode, 1);
    const { wouldFail } = JSON.parse(failing.stdout) as { wouldFail: string[] };
    assert.equal(wouldFail.length, 2);
    assert.match(wouldFail.join('\n'), /--sink kafka needs --kafka-brokers/);
    assert.match(wouldFail.join('\n'), /--sink clickhouse needs --clickhouse-url/);
    const human = await runCommand(backfillCommand, [...request, '--sink', 'kafka']);
    assert.match(human.stdout, /^WOULD FAIL {2}--sink kafka/m);
    const fine = await runCommand(backfillCommand, [...request, '--sink', 'parquet', '--lake', dir]);
    assert.equal(fine.exitCode, 0, fine.stdout);
  });
});
