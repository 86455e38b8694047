/**
 * A lake writer's identity and heartbeat: every lake sink subscription is one writer, with a random id that
 * names its staged and temp files (lake-hidden-files.ts) and a heartbeat object
 * `_manifest/writers/<id>.json` (host, pid, start and last renewal), written before its first file or lease,
 * rewritten every `heartbeatMs` while the writer lives and removed when it closes. Another writer judges it live while its heartbeat exists and is
 * younger than `staleMs` — and, on the same host, while its process exists (a killed writer is dead at once,
 * not after `staleMs`). Clocks of different hosts must agree to well within `staleMs`.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { SinkWriteError } from '../../schemas/errors.js';
import type { LakeStore } from './lake-store.js';

/** Timing of writer heartbeats and unit leases. */
export interface LakeLeaseOptions {
  /** How often a writer renews its heartbeat. @default 10000 */
  readonly heartbeatMs?: number;
  /** A heartbeat older than this is a dead writer's. @default 60000 */
  readonly staleMs?: number;
  /** First wait for a unit lease another live writer holds (doubling up to 1 s). @default 25 */
  readonly pollMs?: number;
}

/** One writer of a lake. */
export interface LakeWriter {
  /** 16 hex digits. */
  readonly id: string;
  readonly store: LakeStore;
  readonly options: LakeLeaseOptions;
  /** Resolves once the heartbeat exists (awaited before each file and lease; the first call starts it; a failed first beat is tried again). */
  ready(): Promise<void>;
  /** Whether writer `id` is alive (itself: always). */
  isLive(id: string): Promise<boolean>;
  /** Stops the heartbeat and removes it (once: later calls return the same promise). */
  close(): Promise<void>;
}

interface Heartbeat {
  readonly host: string;
  readonly pid: number;
  readonly startedAt: number;
  readonly renewedAt: number;
}

/** The heartbeat object of writer `id`. */
function heartbeatPathOf(id: string): string {
  return `_manifest/writers/${id}.json`;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Starts a writer on `store`: its heartbeat is written at the first `ready` (a writer that writes nothing leaves no trace) and renewed until `close`. */
export function startLakeWriter(store: LakeStore, options: LakeLeaseOptions = {}): LakeWriter {
  const id = randomBytes(8).toString('hex');
  const host = hostname();
  const startedAt = Date.now();
  const staleMs = options.staleMs ?? 60_000;
  const beat = (): Promise<void> => store.control.put(heartbeatPathOf(id), JSON.stringify({ host, pid: process.pid, startedAt, renewedAt: Date.now() } satisfies Heartbeat));
  let first: Promise<void> | undefined; // the first beat, retried by ready() until it lands
  let last: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let closed: Promise<void> | undefined;
  return {
    id, store, options,
    ready() {
      if (closed !== undefined) return Promise.reject(new SinkWriteError(`lake writer ${id} is closed`, { service: 'parquet' }, { retriable: false }));
      if (first === undefined) {
        first = last = beat();
        timer = setInterval(() => { last = beat().catch(() => undefined); }, options.heartbeatMs ?? 10_000); // a missed beat is retried by the next
        timer.unref();
      } else {
        first = first.catch(() => beat());
      }
      return first;
    },
    async isLive(other) {
      if (other === id) return true;
      const text = await store.control.read(heartbeatPathOf(other));
      if (text === undefined) return false;
      let heartbeat: Heartbeat;
      try { heartbeat = JSON.parse(text) as Heartbeat; } catch { return false; }
      if (heartbeat.host === host && !processExists(heartbeat.pid)) return false;
      return Date.now() - heartbeat.renewedAt <= staleMs;
    },
    close() {
      closed ??= (async () => {
        clearInterval(timer);
        if (first === undefined) return; // never beat: nothing in the lake
        // A beat landing after the removal would revive the writer: the timer's and a first beat ready() retried.
        await Promise.all([last.catch(() => undefined), first.catch(() => undefined)]);
        await store.control.remove(heartbeatPathOf(id));
      })();
      return closed;
    },
  };
}
