/**
 * Back-pressure for push sources. A WebSocket feed cannot be asked to slow down, but its reader can stop
 * reading: the socket's kernel buffers fill, TCP flow control holds the sender, and memory on this side stays
 * bounded. A {@link FlowGate} is the switch between the one who knows the backlog (a pipeline whose sinks fall
 * behind) and the sources that can pause their reads (`fromBinanceLive`'s sockets).
 */

/** A pause/resume switch shared by a consumer and the sources it slows down. */
export class FlowGate {
  private closed = false;
  private readonly listeners = new Set<(paused: boolean) => void>();

  /** True while sources should not read. */
  get paused(): boolean {
    return this.closed;
  }

  /** Asks the sources to stop reading (no-op when already paused). */
  pause(): void {
    this.set(true);
  }

  /** Lets the sources read again (no-op when not paused). */
  resume(): void {
    this.set(false);
  }

  /** Calls `listener` on every change; returns the function that removes it. */
  onChange(listener: (paused: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  private set(paused: boolean): void {
    if (paused === this.closed) return;
    this.closed = paused;
    for (const listener of this.listeners) listener(paused);
  }
}
