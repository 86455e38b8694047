/**
 * The record side of a live run: decodes frames, passes each record through its stream's continuity
 * tracker (or the books, live-books.ts, for depth), reports disconnects and holes as `gap` records, runs the
 * REST repairs, and re-reports each repaired gap with its fate. Per-stream state: one tracker per (kind,
 * symbol, interval).
 */
import { ConnectorError } from '../../schemas/errors.js';
import type { AnyRecord, GapRecord } from '../../schemas/records.js';
import { US_PER_MS } from '../../schemas/time.js';
import { makeGap, type GapSpec } from './gap-record.js';
import { LiveBooks, type LiveBooksOptions } from './live-books.js';
import { repairIds, repairKlines } from './live-repair.js';
import type { LiveStream } from './live-streams.js';
import { deadLetterOf, mapBinanceFrame } from './map-binance-frame.js';
import { StreamTracker, type IdHole } from './stream-tracker.js';

/** What the router needs from its run: what its books need, and whether to repair holes over REST. */
export interface LiveRouterOptions extends LiveBooksOptions {
  readonly repair: boolean;
}

const TRACKED_KIND: Record<string, string> = { trade: 'trade', aggTrade: 'aggTrade', bookTicker: 'bookTicker', markPrice: 'markPrice', fundingRate: 'markPrice', liquidation: 'forceOrder' };

/** Routes decoded records of one live run. */
export class LiveRouter {
  /** Trackers by symbol, told apart by kind and kline interval (no key string built per record); null = not subscribed. */
  private readonly trackers = new Map<string, { kind: string; interval: string; tracker: StreamTracker | null }[]>();
  /** Subscribed stream names, lower case (a combined frame of another stream is not ours). */
  private readonly names: Set<string>;
  private readonly openGaps = new Map<StreamTracker, GapRecord>();
  private readonly books: LiveBooks;

  constructor(private readonly o: LiveRouterOptions) {
    this.names = new Set(o.streams.map((stream) => stream.name.toLowerCase()));
    this.books = new LiveBooks(o);
  }

  /** Handles one received text frame; returns true when the frame announced a server shutdown. */
  onFrame(text: string, receiveMs: number): boolean {
    this.o.stats.frames++;
    const decoded = mapBinanceFrame(text, this.o.market, receiveMs);
    if (decoded.type === 'shutdown') return true;
    if (decoded.type === 'reply') {
      // An error answer (a refused subscription, a malformed request) must not vanish: a dead letter says it.
      if (decoded.error !== null) this.route(deadLetterOf(new ConnectorError(`Binance answered an error: ${decoded.error}`), text, this.o.market, receiveMs, 'ws:reply'), receiveMs);
      return false;
    }
    const stream = decoded.stream;
    if (stream !== null && !this.names.has(stream) && !this.names.has(stream.toLowerCase())) {
      for (const record of decoded.records) this.route(record, receiveMs, false);
      return false;
    }
    for (const record of decoded.records) this.route(record, receiveMs, true);
    return false;
  }

  /**
   * One decoded record to its book or tracker. Records of a stream not subscribed (another symbol, another data
   * type, a combined frame of another stream: `ours` false) are dropped and counted, never written.
   */
  private route(record: AnyRecord, receiveMs: number, ours = true): void {
    if (record.kind === 'deadLetter') { this.o.stats.deadLetters++; this.o.emit(record); return; }
    if (record.kind === 'depthUpdate') {
      if (!ours || !this.books.onUpdate(record, receiveMs)) this.o.stats.unsubscribedDropped++;
      return;
    }
    const tracker = ours ? this.tracker(record) : null;
    if (tracker === null) { this.o.stats.unsubscribedDropped++; return; }
    this.accept(tracker, record);
  }

  private accept(tracker: StreamTracker, record: AnyRecord): void {
    const before = tracker.duplicatesDropped;
    const step = tracker.accept(record);
    this.o.stats.duplicatesDropped += tracker.duplicatesDropped - before;
    for (const r of step.emit) this.o.emit(r);
    if (step.hole !== null) this.onHole(tracker, step.hole, record.ingestId);
  }

  private tracker(record: AnyRecord): StreamTracker | null {
    const interval = record.kind === 'kline' ? record.interval : '';
    let ofSymbol = this.trackers.get(record.symbol);
    if (ofSymbol === undefined) this.trackers.set(record.symbol, (ofSymbol = []));
    for (const entry of ofSymbol) if (entry.kind === record.kind && entry.interval === interval) return entry.tracker;
    const type = record.kind === 'kline' ? `kline_${interval}` : TRACKED_KIND[record.kind] ?? record.kind;
    const stream = this.o.streams.find((s) => s.type === type && s.symbol === record.symbol);
    const tracker = stream === undefined ? null : new StreamTracker(stream);
    ofSymbol.push({ kind: record.kind, interval, tracker });
    return tracker;
  }

  private gap(spec: Omit<GapSpec, 'market' | 'receiveMs'>): GapRecord {
    const gap = makeGap({ ...spec, market: this.o.market, receiveMs: this.o.now() });
    this.o.stats.gaps++;
    this.o.emit(gap);
    return gap;
  }

  /** A socket carrying `streams` ended: one gap per stream; repairable streams hold live data until repaired. */
  onDisconnected(streams: readonly LiveStream[], reason: string): void {
    const nowUs = Math.round(this.o.now() * US_PER_MS);
    for (const stream of streams) {
      const base = { symbol: stream.symbol, toUs: nowUs, cause: 'ws_disconnect' as const, ingestId: `ws:${stream.name}` };
      if (stream.type === 'depth') {
        this.books.reset(stream.symbol);
        this.o.stats.resyncs++;
        this.gap({ ...base, dataType: 'depthUpdate', fromUs: nowUs, state: 'reported', detail: `${reason}; book resyncs from a new snapshot` });
        continue;
      }
      const kinds = stream.type === 'markPrice' ? ['markPrice'] : stream.type === 'forceOrder' ? ['liquidation'] : [stream.type.startsWith('kline_') ? 'kline' : stream.type];
      const tracker = this.trackers.get(stream.symbol)?.find((e) => e.kind === kinds[0] && e.interval === (stream.interval ?? ''))?.tracker ?? undefined;
      const dataType = kinds[0] as GapSpec['dataType'];
      const fromUs = tracker?.lastEventUs === null || tracker === undefined ? nowUs : tracker.lastEventUs + 1;
      const repairable = this.o.repair && (stream.type === 'trade' || stream.type === 'aggTrade' || stream.interval !== null);
      const anchored = tracker !== undefined && (tracker.lastId !== null || tracker.lastOpenTimeUs !== null);
      if (repairable && anchored && !tracker.repairing) {
        const gap = this.gap({ ...base, dataType, interval: stream.interval, fromUs, fromId: tracker.lastId === null ? null : tracker.lastId + 1, state: 'open', detail: reason });
        tracker.repairing = true;
        this.openGaps.set(tracker, gap);
      } else if (!(tracker?.repairing ?? false)) {
        this.gap({ ...base, dataType, interval: stream.interval, fromUs, state: repairable ? 'reported' : 'unfillable', detail: repairable ? `${reason}; nothing seen yet to repair from` : `${reason}; no REST history for this stream` });
      }
    }
  }

  /** A socket carrying `streams` (re)opened: repair what its disconnect left open. */
  onConnected(streams: readonly LiveStream[]): void {
    for (const [tracker, gap] of this.openGaps) {
      if (!streams.includes(tracker.stream) && !streams.some((s) => s.name === tracker.stream.name)) continue;
      this.openGaps.delete(tracker);
      void this.runRepair(tracker, gap);
    }
  }

  private onHole(tracker: StreamTracker, hole: IdHole, ingestId: string): void {
    const { symbol, type } = tracker.stream;
    const spec = { symbol, dataType: type as GapSpec['dataType'], fromUs: hole.fromUs, toUs: hole.toUs, fromId: hole.fromId, toId: hole.toId, cause: 'sequence_break' as const, ingestId };
    if (this.o.repair) {
      void this.runRepair(tracker, this.gap({ ...spec, state: 'open', detail: 'id hole in the live stream' }));
      return;
    }
    this.gap({ ...spec, state: 'reported', detail: 'id hole in the live stream; repair is off' });
    tracker.skipHole();
    this.release(tracker);
  }

  /**
   * Repairs what `gap` left open, then reports its fate once (same identity, higher version): `filled`, `partial`
   * (some records came), or `unfillable`. A hole REST could not close is given up — the tracker moves past it — so
   * the held live records flow on at once and the same hole is not found again.
   */
  private async runRepair(tracker: StreamTracker, gap: GapRecord): Promise<void> {
    let complete = false;
    let filled = 0;
    let why: string | undefined;
    try {
      const emit = (record: AnyRecord): void => { filled++; this.o.stats.repaired++; this.o.emit(record); };
      const result = tracker.stream.interval !== null
        ? await repairKlines(this.o.rest, tracker, gap.fromUs, emit, this.o.signal)
        : await repairIds(this.o.rest, tracker, emit, this.o.signal);
      complete = result.complete;
      why = result.detail;
    } catch (error) {
      if (this.o.signal.aborted) return;
      why = `repair failed: ${(error as Error).message}`;
    }
    if (this.o.signal.aborted) return;
    const skipped = complete ? null : tracker.skipHole();
    const state: GapRecord['state'] = complete ? 'filled' : filled > 0 ? 'partial' : 'unfillable';
    const detail = why === undefined ? gap.detail : `${gap.detail ?? ''}; ${why}`;
    const toId = gap.toId ?? skipped;
    this.o.emit(makeGap({ ...gap, market: this.o.market, dataType: gap.dataType as GapSpec['dataType'], state, toId, filledCount: filled, detail, receiveMs: this.o.now() }));
    this.release(tracker);
  }

  /**
   * The end of the run (its REST signal aborted): every record held behind an unfinished repair goes out now,
   * past its hole (a hole found among them is reported `open`, like the one before them: nothing repairs it now).
   */
  releaseAll(): void {
    for (const entries of this.trackers.values()) {
      for (const { tracker } of entries) {
        while (tracker?.repairing === true) { tracker.skipHole(); this.release(tracker); }
      }
    }
  }

  /** Ends a repair: the held live records go through the tracker again (overlap dropped, new holes found). */
  private release(tracker: StreamTracker): void {
    for (const record of tracker.endRepair()) this.accept(tracker, record);
  }
}
