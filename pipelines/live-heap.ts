/**
 * V8 heap tuning for the long-running live pipelines (`lakehouse stream`, `lakehouse replay` into sinks).
 *
 * V8 pretenures an allocation site once many of its objects survived scavenges. A live pipeline trips that at
 * its start (the first seconds of records wait while the producer connects), and from then on every message,
 * record and Avro value is promoted and dies only in a mark-compact: long scavenges that become the tail of
 * the frame → Kafka ack latency (`npm run bench -- live`). So pretenuring is turned off for these commands.
 */
import { setFlagsFromString } from 'node:v8';

let applied = false;

/**
 * Turns V8's allocation-site pretenuring off for the process. V8 flags are process-wide: every thread, the
 * Kafka sink's worker too, and every later decision (one already made stays, so call this before the hot
 * code runs). Idempotent.
 */
export function keepLiveObjectsYoung(): void {
  if (applied) return;
  setFlagsFromString('--no-allocation-site-pretenuring');
  applied = true;
}
