import { test } from 'node:test';
import assert from 'node:assert/strict';
import { featuresFromProbe } from '../../../connectors/clickhouse/probe-capabilities.js';
import { migrationStatements } from '../../../connectors/clickhouse/migrate.js';

const debian = featuresFromProbe({ version: '18.16.1', settings: new Set(), mergeTreeSettings: new Set(), queryParams: false });
const modern = featuresFromProbe({
  version: '26.7.2.1', settings: new Set(['insert_deduplication_token']),
  mergeTreeSettings: new Set(['non_replicated_deduplication_window']), queryParams: true,
});

test('the Debian 18.16 server maps to legacy capabilities without params or dedup tokens', () => {
  assert.deepEqual(debian, {
    version: '18.16.1', dateTime64: false, lowCardinality: false, queryParams: false,
    insertDeduplicationToken: false, nonReplicatedDedupWindow: false,
  });
});

test('a modern engine maps to DateTime64, LowCardinality, params and dedup tokens', () => {
  assert.deepEqual(modern, {
    version: '26.7.2.1', dateTime64: true, lowCardinality: true, queryParams: true,
    insertDeduplicationToken: true, nonReplicatedDedupWindow: true,
  });
});

test('the version boundary for DateTime64 is 20.1', () => {
  const at = (version: string): boolean => featuresFromProbe({ version, settings: new Set(), mergeTreeSettings: new Set(), queryParams: true }).dateTime64;
  assert.equal(at('19.17.6.36'), false);
  assert.equal(at('20.1.2.4'), true);
  assert.equal(at('100.0'), true);
});

test('legacy migrations use no LowCardinality, DateTime64 or dedup-window settings', () => {
  const sql = migrationStatements(debian, { database: 'db', kinds: ['trade', 'kline'] }).join('\n');
  assert.doesNotMatch(sql, /LowCardinality|DateTime64|non_replicated_deduplication_window/);
  assert.match(sql, /^CREATE DATABASE IF NOT EXISTS `db`/);
});

test('modern migrations add the dedup window to every table', () => {
  const statements = migrationStatements(modern, { database: 'db', kinds: ['trade', 'gap'], dedupWindow: 50 });
  assert.equal(statements.length, 3);
  for (const ddl of statements.slice(1)) assert.match(ddl, /SETTINGS non_replicated_deduplication_window = 50$/);
});

test('cluster migrations create database and tables ON CLUSTER without the non-replicated setting', () => {
  const statements = migrationStatements(modern, { database: 'db', kinds: ['trade'], cluster: 'c1' });
  assert.match(statements[0], /ON CLUSTER `c1`/);
  assert.ok(statements.some((s) => s.includes('Distributed(')));
  assert.ok(statements.every((s) => !s.includes('non_replicated_deduplication_window')));
});
