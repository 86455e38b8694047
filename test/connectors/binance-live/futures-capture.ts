/**
 * Test helper: futures captures in the cryptofeed format (`*.ws.1.0`, `*.http.0.0`) for the streams the real
 * fixtures hold only a few frames of — `@markPrice`, `@forceOrder`, COIN-M `@depth`. Real frames from
 * crypto-crawler-rs (verbatim) come first; the frames added around them copy their exact shape (key order,
 * number formatting, COIN-M `ps` and contracts) and follow Binance's rules (funding time rolls 8 h on,
 * delivery contracts send `r:""` and `T:0`, depth ids are a global sequence chained by `pu`).
 */
import { realFixtureText } from '../../support/fixtures.js';

/** One frame of a capture: when it was received (ms) and its text. */
export interface CaptureFrame { readonly receiveMs: number; readonly raw: string }

/** A raw frame of the crypto-crawler-rs extract by its source line. */
export function crawlerFrame(srcLine: number): string {
  for (const line of realFixtureText('crypto-crawler-rs_msg-parser_binance_raw_msgs.jsonl').split('\n')) {
    if (line.trim() === '') continue;
    const parsed = JSON.parse(line) as { src_line: number; raw: string };
    if (parsed.src_line === srcLine) return parsed.raw;
  }
  throw new Error(`no crawler frame at line ${srcLine}`);
}

/** The `*.ws.1.0` text of `frames` recorded on `url`. */
export function wsCaptureText(url: string, frames: readonly CaptureFrame[]): string {
  const lines = [`${url} <-> ${(frames[0]?.receiveMs ?? 0) / 1000}`];
  for (const f of frames) lines.push(`${(f.receiveMs / 1000).toFixed(3)}: ${f.raw}`);
  return `${lines.join('\n')}\n`;
}

/** A combined-stream frame as Binance sends it. */
export function combined(stream: string, data: object): string {
  return JSON.stringify({ stream, data });
}

/** A `markPriceUpdate` payload in Binance's key order (`i` only when given: old COIN-M frames lack it). */
export function markPriceUpdate(f: { E: number; s: string; p: string; P: string; i?: string; r: string; T: number }): object {
  return f.i === undefined
    ? { e: 'markPriceUpdate', E: f.E, s: f.s, p: f.p, P: f.P, r: f.r, T: f.T }
    : { e: 'markPriceUpdate', E: f.E, s: f.s, p: f.p, P: f.P, i: f.i, r: f.r, T: f.T };
}

/** A `forceOrder` payload; COIN-M orders carry the pair `ps` after the symbol. */
export function forceOrder(E: number, o: { s: string; ps?: string; S: string; q: string; p: string; ap: string; l: string; z: string; T: number }): object {
  const head = o.ps === undefined ? { s: o.s } : { s: o.s, ps: o.ps };
  return { e: 'forceOrder', E, o: { ...head, S: o.S, o: 'LIMIT', f: 'IOC', q: o.q, p: o.p, ap: o.ap, X: 'FILLED', l: o.l, z: o.z, T: o.T } };
}

/** What a mark-price stream of one symbol looks like: perpetual (funding `T`, rates) or delivery (`r:""`, `T:0`). */
export interface MarkPriceSeries { readonly s: string; readonly withIndex: boolean; readonly fundingMs: number | null; readonly ratesE8: readonly number[] }

/**
 * Mark price frames on `stream` every second from `fromMs`, prices moving each second. A perpetual's next
 * funding time moves 8 h on once the event time reaches it; a delivery contract has no funding (`r:""`, `T:0`).
 */
export function markPriceSeconds(stream: string, series: MarkPriceSeries, fromMs: number, count: number): CaptureFrame[] {
  const frames: CaptureFrame[] = [];
  for (let k = 0; k < count; k++) {
    const E = fromMs + k * 1000;
    const T = series.fundingMs === null ? 0 : E >= series.fundingMs ? series.fundingMs + 8 * 3_600_000 : series.fundingMs;
    const r = series.fundingMs === null ? '' : `0.${series.ratesE8[k % series.ratesE8.length].toString().padStart(8, '0')}`;
    const data = markPriceUpdate({
      E, s: series.s, p: (58940.14924532 + k * 0.73105).toFixed(8), P: (58905.14663658 + k * 0.41).toFixed(8),
      i: series.withIndex ? (58857.26693664 + k * 0.5).toFixed(8) : undefined, r, T,
    });
    frames.push({ receiveMs: E + 7, raw: combined(stream, data) });
  }
  return frames;
}

/** The real COIN-M REST snapshot (crypto-crawler line 1462, `GET /dapi/v1/depth?symbol=BTCUSD_PERP`). */
export function cmSnapshotBody(): { lastUpdateId: number; E: number; T: number; symbol: string; pair: string; bids: [string, string][]; asks: [string, string][] } {
  return JSON.parse(crawlerFrame(1462)) as ReturnType<typeof cmSnapshotBody>;
}

/**
 * COIN-M `btcusd_perp@depth@100ms` diffs around the real snapshot, shaped like the real diff (crawler line
 * 518: `E,T,s,ps,U,u,pu,b,a`, contracts as integer strings): one every 100 ms, `before` of them entirely
 * older than the snapshot (`u < lastUpdateId`), then one with `U <= lastUpdateId <= u`, then the rest. Ids
 * are a global sequence: `U` jumps past other symbols' updates and `pu` is the previous diff's `u`.
 */
export function cmDepthFrames(count: number, before: number): CaptureFrame[] {
  const snapshot = cmSnapshotBody();
  const spans = Array.from({ length: count }, (_, k) => ({ jump: 3 + ((k * 37) % 89), length: (k * 131) % 700 }));
  let u = 0;
  const ids = spans.map(({ jump, length }) => { const U = u + jump; u = U + length; return { U, u }; });
  const shift = snapshot.lastUpdateId - (ids[before].U + Math.floor((ids[before].u - ids[before].U) / 2));
  const startMs = snapshot.E - before * 100 - 40;
  let pu = ids[0].U - 17 + shift;
  return ids.map((id, k) => {
    const E = startMs + k * 100;
    const level = (side: number, j: number): [string, string] => [(30401.8 + side * (0.1 + ((k + j) % 7) * 0.1)).toFixed(1), String((k * 53 + j * 11) % 5 === 0 ? 0 : 1 + ((k * 977 + j * 131) % 15000))];
    const data = { e: 'depthUpdate', E, T: E - 11, s: 'BTCUSD_PERP', ps: 'BTCUSD', U: id.U + shift, u: id.u + shift, pu, b: [level(-1, 0), level(-1, 1)], a: [level(1, 2)] };
    pu = id.u + shift;
    return { receiveMs: E + 8, raw: combined('btcusd_perp@depth@100ms', data) };
  });
}

/** The `*.http.0.0` text of the COIN-M snapshot, received at its own `E`. */
export function cmDepthHttpCapture(): string {
  const body = crawlerFrame(1462);
  return `https://dapi.binance.com/dapi/v1/depth?symbol=BTCUSD_PERP&limit=1000 -> ${(cmSnapshotBody().E + 20) / 1000}: ${body}\n`;
}
