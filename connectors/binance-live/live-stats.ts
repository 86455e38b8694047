/** The counters of a live run (frames, records, reconnects, gaps, repairs, …), shared by its parts. */

/** Counters of a live run, updated in place (pipelines print them). */
export interface LiveStats {
  frames: number;
  records: number;
  reconnects: number;
  rolls: number;
  gaps: number;
  repaired: number;
  duplicatesDropped: number;
  deadLetters: number;
  resyncs: number;
  /** Records of streams not subscribed (another symbol or data type), dropped unwritten. */
  unsubscribedDropped: number;
  /** WebSocket connections open now (a gauge, not a counter). */
  openSockets: number;
}

/** Fresh zeroed {@link LiveStats}. */
export function newLiveStats(): LiveStats {
  return { frames: 0, records: 0, reconnects: 0, rolls: 0, gaps: 0, repaired: 0, duplicatesDropped: 0, deadLetters: 0, resyncs: 0, unsubscribedDropped: 0, openSockets: 0 };
}
