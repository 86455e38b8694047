/**
 * REST failure answers of docs/BINANCE.md §4.3: error bodies `{code,msg}`, 418/429 with and without
 * Retry-After, 5xx, 404, a non-JSON body, and the used-weight header, against a local HTTP server that
 * answers each request from a script.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BinanceRest } from '../../../connectors/binance-live/rest-client.js';
import { MAX_PAUSE_MS, RestLimiter } from '../../../connectors/binance-live/rest-limiter.js';
import { ConnectorError, NotFoundUpstreamError, RateLimitedError, RetriesExhaustedError } from '../../../schemas/errors.js';

interface Answer { readonly status: number; readonly body: string; readonly headers?: Record<string, string> }

const servers: Server[] = [];
after(() => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))));

/** A server answering the n-th request with `answers[n]` (the last one repeats); records the request paths. */
async function scripted(answers: readonly Answer[]): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const answer = answers[Math.min(requests.length, answers.length - 1)]!;
    requests.push(req.url ?? '');
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(answer.body);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

function client(url: string, market: 'spot' | 'um' | 'cm' = 'spot', maxAttempts = 3) {
  const sleeps: number[] = [];
  let nowMs = 1_000_000;
  const limiter = new RestLimiter({ now: () => nowMs, sleep: async (ms) => { sleeps.push(ms); nowMs += ms; } });
  return { rest: new BinanceRest({ market, baseUrl: url, limiter, maxAttempts, now: () => nowMs }), sleeps, limiter };
}

const KLINE = [1591256400000, '9653.69', '9653.69', '9651.38', '9651.55', '206', 1591256459999, '1986111.15', 159, '177', '1706149.63', '0'];

describe('BinanceRest error answers', () => {
  it('fails at once (no retry) on a 400 error body, naming its Binance code and message', { timeout: 30_000 }, async () => {
    const server = await scripted([{ status: 400, body: '{"code":-1121,"msg":"Invalid symbol."}' }]);
    const { rest } = client(server.url);
    const error = await rest.klines('NOPE', '1m', 0, 10).catch((e: unknown) => e);
    assert.ok(error instanceof ConnectorError && !(error instanceof RateLimitedError));
    assert.equal(error.retriable, false);
    assert.equal(error.context.status, 400);
    assert.match(error.message, /-1121/);
    assert.match(error.message, /Invalid symbol\./);
    assert.equal(server.requests.length, 1);
  });

  it('takes a 429 (code -1003) without Retry-After as a one-minute pause, and a 418 ban for its Retry-After seconds', { timeout: 30_000 }, async () => {
    const server = await scripted([
      { status: 429, body: '{"code":-1003,"msg":"Too many requests; current limit of IP is 6000 requests per minute."}' },
      { status: 418, body: '{"code":-1003,"msg":"Way too many requests; IP banned until 1700000120000."}', headers: { 'Retry-After': '120' } },
      { status: 200, body: JSON.stringify([KLINE]) },
    ]);
    const { rest, sleeps, limiter } = client(server.url, 'spot', 5);
    const rows = await rest.klines('BTCUSDT', '1m', 1591256400000, 1);
    assert.equal(rows.length, 1);
    assert.deepEqual(sleeps, [60_000, 120_000]);
    assert.equal(limiter.stats.rateLimited, 2);
    assert.equal(server.requests.length, 3);
  });

  it('gives up on a persisting 418 with RetriesExhaustedError carrying the RateLimitedError and its status', { timeout: 30_000 }, async () => {
    const server = await scripted([{ status: 418, body: '{"code":-1003,"msg":"Way too many requests"}', headers: { 'Retry-After': '7' } }]);
    const { rest } = client(server.url, 'um', 2);
    const error = await rest.depth('BTCUSDT', 1000).catch((e: unknown) => e);
    assert.ok(error instanceof RetriesExhaustedError && error.cause instanceof RateLimitedError);
    assert.deepEqual([error.cause.retryAfterMs, error.cause.context.status], [7000, 418]);
  });

  it('retries a 5xx with backoff and then succeeds; reads X-MBX-USED-WEIGHT-1M into the limiter', { timeout: 30_000 }, async () => {
    const server = await scripted([
      { status: 502, body: '<html>Bad Gateway</html>' },
      { status: 200, body: '{"lastUpdateId":19689626134,"bids":[["30618.66000000","1.82881000"]],"asks":[["30618.67000000","3.28780000"]]}', headers: { 'X-MBX-USED-WEIGHT-1M': '5990' } },
      { status: 200, body: '{"lastUpdateId":19689626135,"bids":[],"asks":[]}' },
    ]);
    const { rest, sleeps } = client(server.url);
    const snapshot = await rest.depth('BTCUSDT', 1000);
    assert.equal(snapshot.finalUpdateId, 19689626134);
    const afterRetry = [...sleeps];
    await rest.depth('BTCUSDT', 1000);
    assert.equal(afterRetry.length, 1, 'one backoff wait after the 502');
    assert.ok(sleeps.length === 2 && sleeps[1]! > 0, 'the next call waits: 5990 of 6000 weight used this minute');
    assert.match(server.requests[0] ?? '', /^\/api\/v3\/depth\?symbol=BTCUSDT&limit=1000$/);
  });

  it('books the documented request weights per market and caps klines at 1000 rows per request', { timeout: 30_000 }, async () => {
    const server = await scripted([{ status: 200, body: '{"lastUpdateId":1,"bids":[],"asks":[]}' }]);
    const weights = async (market: 'spot' | 'um', call: (rest: BinanceRest) => Promise<unknown>): Promise<number> => {
      const { rest, limiter } = client(server.url, market);
      await call(rest).catch(() => undefined);
      return limiter.stats.weight;
    };
    assert.deepEqual(await Promise.all([
      weights('spot', (r) => r.depth('BTCUSDT', 100)), weights('spot', (r) => r.depth('BTCUSDT', 500)),
      weights('spot', (r) => r.depth('BTCUSDT', 1000)), weights('spot', (r) => r.depth('BTCUSDT', 5000)),
      weights('um', (r) => r.depth('BTCUSDT', 50)), weights('um', (r) => r.depth('BTCUSDT', 100)),
      weights('um', (r) => r.depth('BTCUSDT', 500)), weights('um', (r) => r.depth('BTCUSDT', 1000)),
    ]), [5, 25, 50, 250, 2, 5, 10, 20]);
    const klines = await scripted([{ status: 200, body: JSON.stringify([KLINE]) }]);
    const spot = client(klines.url, 'spot');
    await spot.rest.klines('BTCUSDT', '1m', 1591256400000, 1500);
    const um = client(klines.url, 'um');
    await um.rest.klines('BTCUSDT', '1m', 1591256400000, 1500);
    await um.rest.klines('BTCUSDT', '1m', 1591256400000, 99);
    assert.deepEqual([spot.limiter.stats.weight, um.limiter.stats.weight], [2, 5 + 1]);
    assert.ok(klines.requests.slice(0, 2).every((r) => /[?&]limit=1000(&|$)/.test(r) && /startTime=1591256400000/.test(r)), klines.requests.join(' '));
  });

  it('turns a 404 into NotFoundUpstreamError at once and retries a non-JSON 200 body as transient, under the path prefix of the market', { timeout: 30_000 }, async () => {
    const missing = await scripted([{ status: 404, body: '' }]);
    const notFound = await client(missing.url, 'cm').rest.aggTrades('BTCUSD_PERP', 1, 10).catch((e: unknown) => e);
    assert.ok(notFound instanceof NotFoundUpstreamError);
    assert.match(missing.requests[0] ?? '', /^\/dapi\/v1\/aggTrades\?/);
    const html = await scripted([{ status: 200, body: '<html>maintenance</html>' }]);
    const bad = await client(html.url, 'um', 2).rest.trades('BTCUSDT', 1, 10).catch((e: unknown) => e);
    assert.ok(bad instanceof RetriesExhaustedError && bad.cause instanceof ConnectorError, 'a maintenance page is taken as transient');
    assert.match(bad.cause.message, /body is not JSON/);
    assert.equal(html.requests.length, 2);
    assert.match(html.requests[0] ?? '', /^\/fapi\/v1\/historicalTrades\?/);
  });

  it('takes a huge Retry-After as the longest pause (5 min), not as a timer that overflows and spins', { timeout: 30_000 }, async () => {
    const server = await scripted([
      { status: 418, body: '{"code":-1003,"msg":"Way too many requests; IP banned."}', headers: { 'Retry-After': '259200000' } },
      { status: 200, body: JSON.stringify([KLINE]) },
    ]);
    const { rest, sleeps, limiter } = client(server.url, 'spot', 3);
    assert.equal((await rest.klines('BTCUSDT', '1m', 1591256400000, 1)).length, 1);
    assert.deepEqual(sleeps, [MAX_PAUSE_MS]);
    assert.equal(limiter.stats.longestPauseMs, MAX_PAUSE_MS);
    const direct = new RestLimiter({ now: () => 0 });
    direct.pause(Number.MAX_SAFE_INTEGER);
    assert.equal(direct.pausedUntil, MAX_PAUSE_MS);
  });

  it('refuses a body past maxBodyBytes at once (declared or streamed), without reading the rest', { timeout: 30_000 }, async () => {
    const rows = JSON.stringify(Array.from({ length: 200 }, () => KLINE));
    const declared = await scripted([{ status: 200, body: rows }]);
    const chunks: string[] = [];
    const streamed = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // no content-length: chunked
      // 2000 writes of ~10 KB: 20 MB, more than the kernel buffers between the two ends hold.
      const block = Array.from({ length: 100 }, () => JSON.stringify(KLINE)).join(',');
      let sent = 0;
      const more = (): void => {
        if (sent++ >= 2000 || res.destroyed) { res.end(); return; }
        chunks.push('x');
        res.write(sent === 1 ? `[${block}` : `,${block}`, () => setImmediate(more));
      };
      more();
    });
    servers.push(streamed);
    await new Promise<void>((resolve) => streamed.listen(0, '127.0.0.1', resolve));
    for (const url of [declared.url, `http://127.0.0.1:${(streamed.address() as AddressInfo).port}`]) {
      const rest = new BinanceRest({ market: 'spot', baseUrl: url, limiter: new RestLimiter({}), maxBodyBytes: 4096 });
      const error = await rest.klines('BTCUSDT', '1m', 0, 1000).catch((e: unknown) => e);
      assert.ok(error instanceof ConnectorError && !(error instanceof RetriesExhaustedError), "a ConnectorError, not retried");
      assert.equal(error.retriable, false);
      assert.match(error.message, /body larger than 4096 bytes/);
    }
    assert.equal(declared.requests.length, 1, 'not retried');
    assert.ok(chunks.length < 2000, `the streamed body was not read to its end (${chunks.length} chunks sent)`);
  });
});
