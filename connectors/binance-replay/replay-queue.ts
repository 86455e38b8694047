/**
 * What the replay player takes its events from: a feed held in memory ({@link ArrayQueue}), or a feed read
 * as it is played ({@link StreamQueue}: a reader fills a look-ahead of at most `bound` events, plus one
 * chunk, and waits while it is full, so memory does not grow with the file). Each lap of a looping feed is a
 * new pass over the source (`rewind`).
 */
import type { FeedEvent } from './replay-feed.js';

/** A source of feed events in play order. */
export interface PlayQueue {
  /** The next event, or undefined when none is buffered now (then see `ended`, or wait for `ready()`). */
  next(): FeedEvent | undefined;
  /** True once every event of the current pass was taken. */
  readonly ended: boolean;
  /** Why the pass ended early (a corrupt file), if it did. */
  readonly error: unknown;
  /** Resolves when `next()` has an event or the pass ended. */
  ready(): Promise<void>;
  /** Starts a new pass from the first event. */
  rewind(): void;
  /** Stops reading. */
  close(): void;
}

/** The events of a feed held in memory. */
export class ArrayQueue implements PlayQueue {
  private at = 0;
  readonly error: unknown = undefined;
  constructor(private readonly events: readonly FeedEvent[]) {}
  next(): FeedEvent | undefined { return this.events[this.at++]; }
  get ended(): boolean { return this.at >= this.events.length; }
  ready(): Promise<void> { return Promise.resolve(); }
  rewind(): void { this.at = 0; }
  close(): void { this.at = this.events.length; }
}

/** Events read in chunks from `open()` (one pass each), at most `bound` of them buffered ahead (plus one chunk). */
export class StreamQueue implements PlayQueue {
  private chunks: (readonly FeedEvent[])[] = [];
  private at = 0;
  /** Events read and not played yet. */
  buffered = 0;
  private done = false;
  private pass = 0;
  private wakeReader: (() => void) | undefined;
  private wakePlayer: (() => void) | undefined;
  error: unknown = undefined;
  /** The most events buffered at once so far: never above `bound` plus the largest chunk. */
  peak = 0;

  constructor(private readonly open: () => AsyncIterable<readonly FeedEvent[]>, readonly bound: number) {
    void this.fill(this.pass);
  }

  next(): FeedEvent | undefined {
    const chunk = this.chunks[0];
    if (chunk === undefined) return undefined;
    const event = chunk[this.at++];
    if (this.at >= chunk.length) { this.chunks.shift(); this.at = 0; }
    if (--this.buffered < this.bound) this.resumeReader();
    return event;
  }

  get ended(): boolean { return this.done && this.buffered === 0; }

  ready(): Promise<void> {
    if (this.buffered > 0 || this.done) return Promise.resolve();
    return new Promise((resolve) => { this.wakePlayer = resolve; });
  }

  rewind(): void {
    this.stopPass();
    void this.fill(this.pass);
  }

  close(): void {
    this.stopPass();
    this.done = true;
  }

  private stopPass(): void {
    this.pass++;
    this.chunks = []; this.at = 0; this.buffered = 0; this.done = false; this.error = undefined;
    this.resumeReader();
  }

  private resumeReader(): void {
    const wake = this.wakeReader;
    this.wakeReader = undefined;
    wake?.();
  }

  private resumePlayer(): void {
    const wake = this.wakePlayer;
    this.wakePlayer = undefined;
    wake?.();
  }

  private async fill(pass: number): Promise<void> {
    try {
      for await (const chunk of this.open()) {
        while (this.buffered >= this.bound && pass === this.pass) await new Promise<void>((resolve) => { this.wakeReader = resolve; });
        if (pass !== this.pass) return;
        if (chunk.length === 0) continue;
        this.chunks.push(chunk);
        this.buffered += chunk.length;
        if (this.buffered > this.peak) this.peak = this.buffered;
        this.resumePlayer();
      }
    } catch (error) {
      if (pass === this.pass) this.error = error;
    }
    if (pass !== this.pass) return;
    this.done = true;
    this.resumePlayer();
  }
}
