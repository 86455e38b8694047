import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { main } from '../../pipelines/cli.js';
import { clickhouseDatabaseOf } from '../../pipelines/clickhouse-options.js';
import { resolveConfig } from '../../pipelines/config.js';
import { SINK_OPTIONS } from '../../pipelines/backfill-sinks.js';
import { ConfigError } from '../../schemas/errors.js';

const resolve = (argv: string[], env: NodeJS.ProcessEnv = {}): string | undefined =>
  clickhouseDatabaseOf(resolveConfig('backfill', SINK_OPTIONS, argv, env).config);

async function help(command: string): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  assert.equal(await main([command, '--help'], { env: {}, stdout: out, stderr: new PassThrough(), signal: new AbortController().signal }), 0);
  return Buffer.concat(chunks).toString();
}

describe('--clickhouse-database', () => {
  it('defaults to lakehouse for the sink commands, as before the option existed', () => {
    assert.equal(resolve([]), 'lakehouse');
  });

  it('is read from the flag, else LAKEHOUSE_CLICKHOUSE_DATABASE, else the config default', () => {
    assert.equal(resolve(['--clickhouse-database', 'md_test']), 'md_test');
    assert.equal(resolve([], { LAKEHOUSE_CLICKHOUSE_DATABASE: 'from_env' }), 'from_env');
    assert.equal(resolve(['--clickhouse-database=flag_wins'], { LAKEHOUSE_CLICKHOUSE_DATABASE: 'from_env' }), 'flag_wins');
  });

  it('rejects an empty or blank name with a ConfigError naming the flag', () => {
    for (const value of ['', '  ']) {
      assert.throws(() => resolve([`--clickhouse-database=${value}`]), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /--clickhouse-database expects a database name, got "\s*"/);
        return true;
      });
    }
  });

  it('is left to the server for query unless given', async () => {
    const { queryCommand } = await import('../../pipelines/query.js');
    assert.equal(clickhouseDatabaseOf(resolveConfig('query', queryCommand.options, ['SELECT 1'], {}).config), undefined);
    assert.equal(clickhouseDatabaseOf(resolveConfig('query', queryCommand.options, ['SELECT 1'], { LAKEHOUSE_CLICKHOUSE_DATABASE: 'md' }).config), 'md');
  });

  it('is documented in the help of every command that writes or reads ClickHouse', async () => {
    for (const command of ['backfill', 'serve', 'stream', 'replay', 'query']) {
      assert.match(await help(command), /--clickhouse-database NAME.*database/, command);
    }
  });
});
