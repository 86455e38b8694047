/**
 * The pure parts of the distributed backfill and of `--clickhouse-cluster`: the work message, the manifest scope,
 * the options a queue run refuses, the migration run server by server, and `--since-last` from manifest entries.
 */
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import type { ClickHouseClient } from '@clickhouse/client';
import type { PlannedFile } from '../../connectors/binance-archive/availability.js';
import type { ManifestEntry } from '../../connectors/binance-archive/manifest.js';
import { migrationStatements, type MigrateOptions } from '../../connectors/clickhouse/migrate.js';
import { LEGACY_CLICKHOUSE } from '../../schemas/clickhouse-ddl.js';
import { ConfigError } from '../../schemas/errors.js';
import { backfillCommand } from '../../pipelines/backfill.js';
import { manifestScopeOf, parseWorkMessage, queueSinksOf, workMessageOf } from '../../pipelines/backfill-queue.js';
import { clickhouseClusterOf, migrateSinkTables } from '../../pipelines/clickhouse-cluster.js';
import { sinceLastOf } from '../../pipelines/since-last.js';
import { runCommand } from './backfill-support.js';

const FILE: PlannedFile = {
  key: 'data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2025-07-01.zip', market: 'spot', dataType: 'trades', kind: 'trade', symbol: 'BTCUSDT',
  interval: null, period: 'daily', date: '2025-07-01', rangeStartUs: 1, rangeEndUs: 2, fallback: [], size: 10, lastModifiedMs: 5,
};

describe('distributed backfill', () => {
  it('a work message carries the file, the archive and the load settings, and parses back', () => {
    const config = { archive: '/srv/archive', verify: true, validate: false, maxLineBytes: 4096, maxDeadLetters: 7, batchRows: 1000 };
    const body = parseWorkMessage(workMessageOf(config, 'parquet=/lake', FILE), 'here');
    assert.deepEqual(body, { format: 1, scope: 'parquet=/lake', archive: '/srv/archive', file: FILE, settings: { verify: true, validate: false, maxLineBytes: 4096, maxDeadLetters: 7, batchRows: 1000 } });
    assert.equal('batchRows' in parseWorkMessage(workMessageOf({ ...config, batchRows: undefined }, 's', FILE), 'here').settings, false);
  });

  it('a foreign message is a configuration error, not a file to skip', () => {
    for (const text of ['not json', '{}', JSON.stringify({ format: 2, scope: 's', archive: 'a', file: FILE, settings: {} })]) {
      assert.throws(() => parseWorkMessage(text, 'work message 0/1'), (error: unknown) => error instanceof ConfigError && /work message 0\/1/.test(error.message));
    }
  });

  it('the manifest scope names the sinks and their targets, in a stable order, the lake as an absolute path', () => {
    const config = { lake: 'lake', clickhouseDatabase: 'md', topicPrefix: 'p.' };
    assert.equal(manifestScopeOf(config, ['parquet', 'clickhouse']), `clickhouse=md,parquet=${resolve('lake')}`);
    assert.equal(manifestScopeOf(config, ['clickhouse', 'parquet']), manifestScopeOf(config, ['parquet', 'clickhouse']));
    assert.equal(manifestScopeOf({ ...config, lake: 's3://b/p' }, ['parquet', 'kafka']), 'kafka=p.,parquet=s3://b/p');
  });

  it('--sink is required, and --enqueue with --worker is refused', async () => {
    assert.throws(() => queueSinksOf({}, '--worker'), ConfigError);
    assert.deepEqual(queueSinksOf({ sink: ['clickhouse', 'clickhouse'] }, '--worker'), ['clickhouse']);
    const both = await runCommand(backfillCommand, ['--enqueue', '--worker', '--sink', 'parquet', '--kafka-brokers', '127.0.0.1:1']).catch((error: unknown) => error);
    assert.ok(both instanceof ConfigError);
    const noBrokers = await runCommand(backfillCommand, ['--worker', '--sink', 'parquet']).catch((error: unknown) => error);
    assert.ok(noBrokers instanceof ConfigError && /--kafka-brokers/.test(noBrokers.message));
  });

  it('--since-last continues from manifest entries (the manifest topic\'s)', () => {
    const entry = (key: string): ManifestEntry => ({ key, size: 1, sha256: 'x', rows: 1, status: 'loaded', loadedAt: '', lastModifiedMs: null });
    const entries = [entry('data/spot/daily/trades/AAAUSDT/AAAUSDT-trades-2025-07-03.zip'), entry('data/spot/daily/trades/BBBUSDT/BBBUSDT-trades-2025-07-02.zip')];
    const config = sinceLastOf({ symbols: ['AAAUSDT', 'BBBUSDT'], to: '2025-07-05' }, entries, 'topic');
    assert.equal(config?.from, '2025-07-03');
    assert.equal(sinceLastOf({ symbols: ['AAAUSDT'], to: '2025-07-03' }, entries, 'topic'), undefined);
  });
});

describe('--clickhouse-cluster', () => {
  it('without --clickhouse-cluster-urls: ON CLUSTER through one server; with them: each server alone', async () => {
    assert.equal(clickhouseClusterOf({}), undefined);
    assert.throws(() => clickhouseClusterOf({ clickhouseClusterUrls: ['http://a'] }), ConfigError);
    assert.throws(() => clickhouseClusterOf({ clickhouseCluster: ' ' }), ConfigError);
    const calls: { server: string; onCluster: boolean | undefined; cluster: string | undefined }[] = [];
    const client = (server: string): ClickHouseClient => ({ server, close: async () => undefined }) as unknown as ClickHouseClient;
    const m = {
      database: 'd', connect: async (url: string) => client(url), probe: async () => ({ ...LEGACY_CLICKHOUSE, version: '18.16.1', queryParams: false, insertDeduplicationToken: false, nonReplicatedDedupWindow: false }),
      migrate: async (c: ClickHouseClient, o: MigrateOptions = {}) => { calls.push({ server: (c as unknown as { server: string }).server, onCluster: o.onCluster, cluster: o.cluster }); return []; },
    };
    await migrateSinkTables(client('http://a'), 'http://a', { ...m, cluster: { name: 'c', urls: [] } });
    assert.deepEqual(calls.splice(0), [{ server: 'http://a', onCluster: undefined, cluster: 'c' }]);
    await migrateSinkTables(client('http://a'), 'http://a', { ...m, cluster: { name: 'c', urls: ['http://a', 'http://b', 'http://b'] } });
    assert.deepEqual(calls.splice(0), [{ server: 'http://a', onCluster: false, cluster: 'c' }, { server: 'http://b', onCluster: false, cluster: 'c' }]);
  });

  it('statements for one server alone keep the replicated and Distributed engines, without ON CLUSTER', () => {
    const features = { ...LEGACY_CLICKHOUSE, version: '18.16.1', queryParams: false, insertDeduplicationToken: false, nonReplicatedDedupWindow: false };
    const each = migrationStatements(features, { cluster: 'c', onCluster: false, kinds: ['kline'] });
    assert.ok(each.every((s) => !s.includes('ON CLUSTER')));
    assert.match(each[1] as string, /ReplicatedReplacingMergeTree/);
    assert.match(each[2] as string, /ENGINE = Distributed\(`c`/);
    assert.ok(migrationStatements(features, { cluster: 'c', kinds: ['kline'] }).every((s) => s.includes('ON CLUSTER `c`')));
  });
});
