/**
 * infra/local keeps ClickHouse's data across `down --keep-data`, a crash or a reboot. The Debian 18.16 server
 * stores the klines sort key with its `interval` column unquoted and then cannot parse it back, so every start over
 * kept data failed. This starts a second, private ClickHouse (own state directory and ports), creates every table,
 * restarts it over the same data and reads the tables back.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { migrate } from '../../connectors/clickhouse/migrate.js';
import { CLICKHOUSE_SERVER_BIN, freePort, localClickHouseAvailable, runInfra as infra } from '../support/local-infra.js';

let cleanup: (() => Promise<void>) | undefined;
after(async () => cleanup?.());

test('infra/local ClickHouse starts again over kept data holding every lakehouse table', { timeout: 300_000 }, async (t) => {
  if (!localClickHouseAvailable()) { t.skip(`no ClickHouse server at ${CLICKHOUSE_SERVER_BIN} (infra.sh install clickhouse)`); return; }
  const state = await mkdtemp(join(tmpdir(), 'infra-restart-'));
  const httpPort = await freePort();
  const env = {
    LAKEHOUSE_INFRA_STATE: state,
    LAKEHOUSE_CLICKHOUSE_HTTP_PORT: String(httpPort),
    LAKEHOUSE_CLICKHOUSE_TCP_PORT: String(await freePort()),
  };
  cleanup = async () => {
    await infra(env, 'down', 'clickhouse');
    await rm(state, { recursive: true, force: true });
  };

  const first = await infra(env, 'up', 'clickhouse');
  assert.equal(first.code, 0, first.output);
  const url = `http://127.0.0.1:${httpPort}`;
  let client = createClient({ url });
  const tables = await migrate(client, { database: 'restart_check' });
  await client.close();

  const down = await infra(env, 'down', '--keep-data', 'clickhouse');
  assert.equal(down.code, 0, down.output);
  const again = await infra(env, 'up', 'clickhouse');
  assert.equal(again.code, 0, again.output);

  client = createClient({ url });
  try {
    const rows = await (await client.query({
      query: "SELECT name FROM system.tables WHERE database = 'restart_check' ORDER BY name",
      format: 'JSONEachRow',
    })).json<{ name: string }>();
    assert.deepEqual(rows.map((r) => r.name), [...tables].sort());
    const klines = await (await client.query({ query: 'SELECT count() AS n FROM restart_check.klines', format: 'JSONEachRow' })).json<{ n: string }>();
    assert.equal(Number(klines[0]?.n), 0);
  } finally {
    await client.close();
  }
});
