/**
 * V8 heap tuning for the long-running live pipelines (`lakehouse stream`, `lakehouse replay` into sinks).
 *
 * V8 pretenures an allocation site (allocates its objects straight in the old generation) once many of its
 * objects were seen surviving scavenges. A live pipeline trips that at its start: while the producer connects
 * and registers schemas, the first seconds of records, Kafka messages and request lists wait, survive, and
 * their sites are marked long-lived; the decision then stays for the whole run. From then on every message
 * (and, through the messages' references into the young generation, every record and Avro value) is promoted
 * and dies only in a mark-compact: at 50,000 events/s the Kafka sink's thread scavenged for 6.7 ms on average
 * (up to 42 ms) and ran a mark-compact every 3.6 s, the main thread 3.9 ms, which is the tail of the
 * frame → Kafka ack latency. Without pretenuring: 0.6–0.9 ms scavenges and no promotion (toKafka with a fake
 * producer and serde, the same batches: 0.6 MB promoted per scavenge → none).
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
