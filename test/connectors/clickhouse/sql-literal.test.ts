import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindParams, quoteLiteral, quoteString } from '../../../connectors/clickhouse/sql-literal.js';
import { ConfigError } from '../../../schemas/errors.js';

test('string literals escape quotes, backslashes and control characters', () => {
  assert.equal(quoteString("it's"), "'it\\'s'");
  assert.equal(quoteString('a\\b'), "'a\\\\b'");
  assert.equal(quoteString("x'; DROP TABLE t; --"), "'x\\'; DROP TABLE t; --'");
  assert.equal(quoteString('l1\nl2\t\0'), "'l1\\nl2\\t\\0'");
});

test('literals cover null, booleans, numbers and arrays, and reject non-finite numbers', () => {
  assert.equal(quoteLiteral(null), 'NULL');
  assert.equal(quoteLiteral(true), '1');
  assert.equal(quoteLiteral(1_751_328_000_123_456), '1751328000123456');
  assert.equal(quoteLiteral(['a', 1, null]), "['a', 1, NULL]");
  assert.throws(() => quoteLiteral(Number.NaN), ConfigError);
});

test('with server parameters the query is unchanged and the values travel separately', () => {
  const bound = bindParams('SELECT * FROM t WHERE symbol = {symbol:String}', { symbol: "B'TC" }, true);
  assert.deepEqual(bound, { query: 'SELECT * FROM t WHERE symbol = {symbol:String}', query_params: { symbol: "B'TC" } });
});

test('without server parameters placeholders become quoted, typed literals', () => {
  const bound = bindParams('SELECT {a:String}, {n:Int64}', { a: "x'y", n: 5 }, false);
  assert.deepEqual(bound, { query: "SELECT CAST('x\\'y', 'String'), CAST(5, 'Int64')" });
});

test('a placeholder without a value is a ConfigError naming it', () => {
  assert.throws(() => bindParams('SELECT {missing:String}', {}, false), (e: Error) => e instanceof ConfigError && e.message.includes('{missing:String}'));
});
