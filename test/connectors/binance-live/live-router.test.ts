import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newLiveStats } from '../../../connectors/binance-live/live-stats.js';
import { LiveRouter } from '../../../connectors/binance-live/live-router.js';
import { liveStream, type LiveStream } from '../../../connectors/binance-live/live-streams.js';
import { BinanceRest } from '../../../connectors/binance-live/rest-client.js';
import { RestLimiter } from '../../../connectors/binance-live/rest-limiter.js';
import type { AnyRecord } from '../../../schemas/records.js';

function router(streams: LiveStream[] = []): { router: LiveRouter; out: AnyRecord[]; stats: ReturnType<typeof newLiveStats> } {
  const out: AnyRecord[] = [];
  const stats = newLiveStats();
  const rest = new BinanceRest({ market: 'spot', baseUrl: 'http://127.0.0.1:9', limiter: new RestLimiter({}), now: Date.now });
  const r = new LiveRouter({
    market: 'spot', streams, rest, stats, signal: new AbortController().signal, now: Date.now, repair: false, depthLimit: 1000,
    emit: (record) => out.push(record),
  });
  return { router: r, out, stats };
}

describe('LiveRouter', () => {
  it('turns an error answer (a refused SUBSCRIBE) into a dead letter carrying the frame, and a success into nothing', () => {
    const { router: r, out, stats } = router();
    r.onFrame('{"result":null,"id":1}', 1_777_000_000_000);
    assert.equal(out.length, 0);
    const refused = '{"error":{"code":2,"msg":"Invalid request: unknown stream"},"id":2}';
    r.onFrame(refused, 1_777_000_000_000);
    assert.equal(out.length, 1);
    const letter = out[0];
    assert.equal(letter.kind, 'deadLetter');
    if (letter.kind !== 'deadLetter') return;
    assert.equal(letter.errorName, 'ConnectorError');
    assert.match(letter.reason, /Invalid request: unknown stream/);
    assert.equal(letter.raw, refused);
    assert.equal(stats.deadLetters, 1);
  });

  it('with repair off, reports an id hole once and passes the records after it on', () => {
    const { router: r, out } = router([liveStream('aggTrade', 'BTCUSDT')]);
    const frame = (id: number): string => `{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":${1_777_000_000_000 + id},"s":"BTCUSDT","a":${id},"p":"1.0","q":"1.0","f":${id},"l":${id},"T":${1_777_000_000_000 + id},"m":true,"M":true}}`;
    for (const id of [1, 2, 6, 7]) r.onFrame(frame(id), 1_777_000_000_000 + id);
    assert.deepEqual(out.map((o) => (o.kind === 'aggTrade' ? o.aggTradeId : o.kind === 'gap' ? `${o.state} ${o.fromId}..${o.toId}` : o.kind)), [1, 2, 'reported 3..5', 6, 7]);
  });

  it('drops and counts records of streams it did not subscribe: another symbol, another data type, a combined frame of another stream', () => {
    const { router: r, out, stats } = router([liveStream('aggTrade', 'BTCUSDT'), liveStream('depth', 'BTCUSDT')]);
    const agg = (stream: string, symbol: string, id: number): string => `{"stream":"${stream}","data":{"e":"aggTrade","E":1777000000000,"s":"${symbol}","a":${id},"p":"1.0","q":"1.0","f":${id},"l":${id},"T":1777000000000,"m":true,"M":true}}`;
    r.onFrame(agg('btcusdt@aggTrade', 'BTCUSDT', 1), 1_777_000_000_000);
    r.onFrame(agg('ethusdt@aggTrade', 'ETHUSDT', 7), 1_777_000_000_000); // a symbol not subscribed
    r.onFrame(agg('ethusdt@aggTrade', 'BTCUSDT', 2), 1_777_000_000_000); // a stream not subscribed, whatever its payload says
    r.onFrame('{"e":"aggTrade","E":1777000000000,"s":"SOLUSDT","a":5,"p":"1.0","q":"1.0","f":5,"l":5,"T":1777000000000,"m":true,"M":true}', 1_777_000_000_000); // raw frame
    r.onFrame('{"stream":"btcusdt@trade","data":{"e":"trade","E":1777000000000,"s":"BTCUSDT","t":9,"p":"1.0","q":"1.0","T":1777000000000,"m":true,"M":true}}', 1_777_000_000_000); // a data type not subscribed
    r.onFrame('{"stream":"ethusdt@depth@100ms","data":{"e":"depthUpdate","E":1777000000000,"s":"ETHUSDT","U":1,"u":2,"b":[["1.0","1.0"]],"a":[]}}', 1_777_000_000_000);
    r.onFrame(agg('btcusdt@aggTrade', 'BTCUSDT', 2), 1_777_000_000_000);
    assert.deepEqual(out.map((o) => `${o.kind} ${o.symbol}`), ['aggTrade BTCUSDT', 'aggTrade BTCUSDT']);
    assert.equal(stats.unsubscribedDropped, 5);
  });
});
