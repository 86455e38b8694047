/**
 * Faults the replay server injects on demand, from tests (`server.faults`) or over HTTP
 * (`POST /_control/<fault>?…`, used by `lakehouse replay --serve`):
 * - `drop`: terminate every open socket (no close frame, like a network cut);
 * - `shutdown`: send Binance's `serverShutdown` event to every open socket, close them `graceMs` later;
 * - `stall`: the sockets open now stop receiving frames and stop answering pings (a hung connection);
 * - `malformed`: the next frame each socket gets is preceded by a truncated JSON frame;
 * - `rateLimit`: the next `count` REST calls answer 429 (or 418) with `Retry-After: <seconds>`;
 * - `hole`: the next `count` trade/aggTrade events (or, given a stream, events of that stream, e.g. a depth
 *   diff) are not sent on the WebSocket (REST still has them);
 * - `restFail`: the next `count` REST calls (or those whose path ends with `path`, e.g. `/historicalTrades`)
 *   answer `status` with a Binance-shaped error body (401 as for a missing API key, 5xx as an outage), or, with
 *   `empty`, an empty list (REST without the rows, e.g. trades that never reach its history).
 */

/** What a `restFail` fault answers: an HTTP error status, or `empty` (200 with `[]`). */
export type RestFailAnswer = number | 'empty';

/** Pending fault state, consumed by the server as it plays. */
export class ReplayFaults {
  /** Requests to drop all sockets, consumed by the server. */
  dropRequests = 0;
  stallRequests = 0;
  shutdownGraceMs: number[] = [];
  malformedRequests = 0;
  rateLimitCount = 0;
  rateLimitStatus = 429;
  retryAfterS = 1;
  holeCount = 0;
  holeStream: string | null = null;
  restFailCount = 0;
  restFailAnswer: RestFailAnswer = 'empty';
  restFailPath: string | null = null;
  /** What was injected so far, for reports and tests. */
  readonly injected = { drops: 0, shutdowns: 0, stalls: 0, malformed: 0, rateLimited: 0, holeEvents: 0, restFailed: 0 };

  constructor(private readonly wake: () => void) {}

  /** Terminates every open socket now. */
  drop(): void { this.dropRequests++; this.wake(); }

  /** Announces a shutdown (`serverShutdown`) on every socket open now and closes them after `graceMs`. */
  shutdown(graceMs = 1000): void { this.shutdownGraceMs.push(graceMs); this.wake(); }

  /** Freezes every socket open now (no frames, no pongs). */
  stall(): void { this.stallRequests++; this.wake(); }

  /** Sends one truncated JSON frame to each open socket before its next frame. */
  malformed(): void { this.malformedRequests++; this.wake(); }

  /** Makes the next `count` REST calls answer `status` (429 or 418) with Retry-After `retryAfterS`. */
  rateLimit(count = 1, retryAfterS = 1, status = 429): void {
    this.rateLimitCount = count;
    this.retryAfterS = retryAfterS;
    this.rateLimitStatus = status;
  }

  /** Withholds the next `count` trade/aggTrade events — or events of `stream`, any kind — from the WebSocket. */
  hole(count = 1, stream: string | null = null): void { this.holeCount = count; this.holeStream = stream; }

  /**
   * Makes the next `count` REST calls — only those whose path ends with `path`, when given — answer `answer`:
   * an HTTP status (401, 403, 500, 503, …) with a Binance-shaped `{code,msg}` body, or `empty` (200, `[]`).
   */
  restFail(answer: RestFailAnswer = 'empty', count = 1, path: string | null = null): void {
    this.restFailAnswer = answer;
    this.restFailCount = count;
    this.restFailPath = path;
  }

  /** Consumes a `restFail` for a REST call to `pathname`: the answer to give, or null to answer normally. */
  takeRestFail(pathname: string): RestFailAnswer | null {
    if (this.restFailCount <= 0 || (this.restFailPath !== null && !pathname.endsWith(this.restFailPath))) return null;
    this.restFailCount--;
    this.injected.restFailed++;
    return this.restFailAnswer;
  }

  /** Applies a control request `name` with URL `query`; false when unknown. */
  apply(name: string, query: URLSearchParams): boolean {
    const num = (key: string, fallback: number): number => Number(query.get(key) ?? fallback) || fallback;
    switch (name) {
      case 'drop': this.drop(); return true;
      case 'stall': this.stall(); return true;
      case 'shutdown': this.shutdown(num('graceMs', 1000)); return true;
      case 'malformed': this.malformed(); return true;
      case 'ratelimit': this.rateLimit(num('count', 1), num('retryAfter', 1), num('status', 429)); return true;
      case 'hole': this.hole(num('count', 1), query.get('stream')); return true;
      case 'restfail': {
        const answer = query.get('answer') ?? 'empty';
        this.restFail(answer === 'empty' ? 'empty' : num('answer', 500), num('count', 1), query.get('path'));
        return true;
      }
      default: return false;
    }
  }
}
