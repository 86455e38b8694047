/**
 * `lakehouse query --engine clickhouse` streams its result (a table of 250,000 rows from the real server, which
 * overflowed the call stack when collected), and on the embedded engine shows one row per key of a
 * ReplacingMergeTree table unless `--all-versions` (the server here, 18.16, has no `final` setting: it says so).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClickHouseClient } from '../../connectors/clickhouse/config.js';
import { queryCommand } from '../../pipelines/query.js';
import { clickhouseService } from '../support/services.js';
import { removeTempDirs, runCommand, tempDir } from '../pipelines/backfill-support.js';

after(removeTempDirs);

test('query --engine clickhouse streams 250,000 rows as a table and as JSON lines', { timeout: 180_000 }, async (t) => {
  const service = await clickhouseService();
  if (service === undefined) { t.skip('ClickHouse not configured (CLICKHOUSE_URL)'); return; }
  const env = { CLICKHOUSE_URL: service.url, CLICKHOUSE_USER: service.username, CLICKHOUSE_PASSWORD: service.password };
  const sql = 'SELECT number AS i, toString(number % 7) AS s FROM system.numbers LIMIT 250000';
  const table = await runCommand(queryCommand, ['--engine', 'clickhouse', sql], env);
  assert.equal(table.exitCode, 0, table.stderr);
  const lines = table.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 250_002);
  assert.match(lines[250_001], /^249999 +1$/);
  const json = await runCommand(queryCommand, ['--engine', 'clickhouse', '--json', sql], env);
  const rows = json.stdout.trimEnd().split('\n');
  assert.equal(rows.length, 250_000);
  assert.deepEqual(JSON.parse(rows[249_999]), { i: '249999', s: '1' });
});

test('query on the embedded engine shows one row per key of a ReplacingMergeTree unless --all-versions', { timeout: 180_000 }, async () => {
  const dataDir = await tempDir('ch-query-final');
  const client = await createClickHouseClient({ embeddedPath: dataDir });
  try {
    await client.command({ query: 'CREATE TABLE bars (k UInt32, v String, version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY k' });
    await client.command({ query: 'SYSTEM STOP MERGES bars' });
    await client.command({ query: "INSERT INTO bars VALUES (1, 'archive', 9)" });
    await client.command({ query: "INSERT INTO bars VALUES (1, 'resample', 5)" });
  } finally {
    await client.close();
  }
  const sql = 'SELECT count() AS n, max(version) AS version FROM bars';
  const latest = await runCommand(queryCommand, ['--clickhouse-embedded', dataDir, '--json', sql]);
  assert.equal(latest.exitCode, 0, latest.stderr);
  assert.deepEqual(JSON.parse(latest.stdout), { n: 1, version: 9 });
  const all = await runCommand(queryCommand, ['--clickhouse-embedded', dataDir, '--json', '--all-versions', sql]);
  assert.deepEqual(JSON.parse(all.stdout), { n: 2, version: 9 });
});
