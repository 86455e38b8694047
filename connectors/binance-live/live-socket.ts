/**
 * One WebSocket connection of the live connector, never silent: it pings every `pingIntervalMs`, treats
 * `stallTimeoutMs` without any frame or pong (or without opening) as a dead link and terminates it, and
 * reports exactly one `onClose(reason)` per socket unless the owner closed it. Server pings are answered
 * by the `ws` library. One interval timer per socket; `close()` clears it and is safe to call twice.
 *
 * `pause()` stops reading (frames already read may still arrive); the kernel's buffers then fill and TCP holds
 * the server back. A paused socket is not judged stalled and sends no pings (their pongs would not be read);
 * `resume()` restarts the stall clock. A server that gives up on a paused client closes the connection, which
 * surfaces as `onClose` once the buffered frames before it were read — a disconnect like any other (gap,
 * reconnect, repair).
 *
 * A frame larger than `maxFrameBytes` is refused by `ws` (close 1009) before it is buffered whole: one
 * `onClose` like any other, so a server sending oversized frames costs a gap and a reconnect, never memory.
 */
import WebSocket from 'ws';

/** Default cap of one WebSocket frame, bytes: Binance's largest (a `!markPrice@arr`, a full depth diff) are far below. */
export const DEFAULT_MAX_FRAME_BYTES = 4 << 20;

/** Callbacks of a {@link LiveSocket}. */
export interface LiveSocketHandlers {
  onOpen(): void;
  onFrame(text: string, receiveMs: number): void;
  /** The socket ended without the owner asking (error, server close, stall). */
  onClose(reason: string): void;
  /** A socket that had opened is no longer open, however it ended (the owner's `close()` included); called once. */
  onEnded?(): void;
}

/** Liveness timings. */
export interface LiveSocketTimings {
  /** Client ping period. */
  readonly pingIntervalMs: number;
  /** No frame and no pong for this long (or not open after this long) = stalled. */
  readonly stallTimeoutMs: number;
  /** Largest frame accepted, bytes. @default {@link DEFAULT_MAX_FRAME_BYTES} */
  readonly maxFrameBytes?: number;
}

/** A supervised WebSocket. */
export class LiveSocket {
  /** Local time the socket opened, ms (NaN before). */
  openedAtMs = Number.NaN;
  private readonly ws: WebSocket;
  private readonly timer: NodeJS.Timeout;
  private lastActivityMs: number;
  private lastPingMs: number;
  private ended = false;
  private paused = false;

  constructor(readonly url: string, private readonly handlers: LiveSocketHandlers, private readonly timings: LiveSocketTimings, private readonly now: () => number) {
    this.lastActivityMs = now();
    this.lastPingMs = this.lastActivityMs;
    this.ws = new WebSocket(url, { handshakeTimeout: timings.stallTimeoutMs, maxPayload: timings.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES });
    this.ws.on('open', () => {
      this.openedAtMs = this.now();
      this.lastActivityMs = this.openedAtMs;
      if (this.paused) this.ws.pause(); // ws ignores pause() before the socket opens
      if (!this.ended) handlers.onOpen();
    });
    this.ws.on('message', (data, isBinary) => {
      const receiveMs = this.now();
      this.lastActivityMs = receiveMs;
      if (!this.ended) handlers.onFrame(isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString(), receiveMs);
    });
    this.ws.on('pong', () => { this.lastActivityMs = this.now(); });
    this.ws.on('close', (code, reason) => this.end(`closed by server (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})`));
    this.ws.on('error', (error) => this.end(`socket error: ${error.message}`));
    const tickMs = Math.max(5, Math.min(timings.pingIntervalMs, timings.stallTimeoutMs / 4));
    this.timer = setInterval(() => this.tick(), tickMs);
  }

  /** Whether the socket is open. */
  get open(): boolean { return !this.ended && this.ws.readyState === WebSocket.OPEN; }

  /** Stops reading from the socket (see the module doc). */
  pause(): void {
    if (this.paused || this.ended) return;
    this.paused = true;
    this.ws.pause();
  }

  /** Reads again; the stall clock restarts now. */
  resume(): void {
    if (!this.paused || this.ended) return;
    this.paused = false;
    this.lastActivityMs = this.now();
    this.ws.resume();
  }

  /** Closes the socket without reporting `onClose`. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.notifyEnded();
    clearInterval(this.timer);
    this.ws.removeAllListeners('message');
    this.ws.on('error', () => undefined);
    if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    else this.ws.close(1000);
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }

  /** Tells the owner an opened socket is gone (`onEnded`). */
  private notifyEnded(): void {
    if (!Number.isNaN(this.openedAtMs)) this.handlers.onEnded?.();
  }

  private tick(): void {
    if (this.paused) return;
    const now = this.now();
    if (now - this.lastActivityMs > this.timings.stallTimeoutMs) {
      this.end(`stalled: no frame or pong for ${Math.round(now - this.lastActivityMs)} ms`);
      return;
    }
    if (this.open && now - this.lastPingMs >= this.timings.pingIntervalMs) {
      this.lastPingMs = now;
      this.ws.ping();
    }
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.notifyEnded();
    clearInterval(this.timer);
    this.ws.removeAllListeners('message');
    this.ws.on('error', () => undefined);
    this.ws.terminate();
    this.handlers.onClose(reason);
  }
}
