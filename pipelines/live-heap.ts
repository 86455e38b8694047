/**
 * V8 heap tuning for the long-running live pipelines (`lakehouse stream`, `lakehouse replay` into sinks).
 *
 * V8 pretenures an allocation site once many of its objects survived scavenges. A live pipeline trips that at
 * its start (the first seconds of records wait while the producer connects), and from then on every message,
 * record and Avro value is promoted and dies only in a mark-compact: long scavenges that become the tail of
 * the frame → Kafka ack latency (`npm run bench -- live`). So pretenuring is turned off for these commands.
 *
 * Records that wait for a lagging sink (up to `--max-backlog` of them) still outlive two scavenges and are
 * promoted, and V8 lets the old generation grow to up to four times what survived the last mark-compact
 * before it collects again: a client fed faster than its sink wrote held three times its live heap in dead
 * records (`npm run bench -- replay` with BENCH_REPLAY_STREAM_CLIENT=1). The old generation is therefore let
 * grow by half its live size between mark-compacts: more of them, each as short (the dead records are not
 * marked), and peak memory that follows the backlog.
 */
import { setFlagsFromString } from 'node:v8';

/** Growth of the old generation between mark-compacts, percent of what survived the last one. */
export const OLD_GENERATION_GROWTH_PERCENT = 50;

let applied = false;

/**
 * Turns V8's allocation-site pretenuring off for the process and bounds the old generation's growth between
 * mark-compacts ({@link OLD_GENERATION_GROWTH_PERCENT}). V8 flags are process-wide: every thread, the Kafka
 * sink's worker too, and every later decision (one already made stays, so call this before the hot code runs).
 * Idempotent.
 */
export function keepLiveObjectsYoung(): void {
  if (applied) return;
  setFlagsFromString('--no-allocation-site-pretenuring');
  setFlagsFromString(`--heap-growing-percent=${OLD_GENERATION_GROWTH_PERCENT}`);
  applied = true;
}
