/**
 * Unit leases: a unit's commit (publishing its staged files and sweeping the parts an earlier run of it left)
 * runs under a lease object `_manifest/leases/<hash of the unit id>.json` naming the writer (lake-writer.ts),
 * so two writers of one unit (two backfills of the same file) commit one after the other and the lake holds
 * exactly one writer's parts — never a mix, never one writer's sweep deleting the other's fresh parts.
 *
 * A lease is taken by creating its object exclusively. One held by a live writer is waited for (polling, up to
 * a second apart: a commit takes milliseconds, and a writer holds a lease only inside its commit, never while
 * waiting for another, so waits always end). One held by a dead writer is taken over: the taker first creates
 * `<lease>.takeover-<nonce of the dead holder>` exclusively (one taker wins), checks the lease still names that
 * holder, then overwrites it. A token whose taker died before that (killed between the two steps) is taken over
 * the same way, by a token of its own (`<token>.takeover-<nonce of the dead taker>`), else the lease would be
 * waited for forever. A holder re-reads its lease before each destructive step (`check`) and stops when it was
 * taken over (it was judged dead: its heartbeat was older than `staleMs`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { SinkWriteError } from '../../schemas/errors.js';
import type { LakeWriter } from './lake-writer.js';

/** A held lease. */
export interface UnitLease {
  /** Throws a non-retriable SinkWriteError when another writer took the lease over. */
  check(): Promise<void>;
  /** Gives the lease up (not held any more is fine). */
  release(): Promise<void>;
}

interface LeaseBody {
  readonly writer: string;
  readonly nonce: string;
  readonly unit: string;
  readonly host: string;
  readonly pid: number;
  readonly acquiredAt: string;
}

/** The lease object of a unit. */
export function leasePathOf(unit: string): string {
  return `_manifest/leases/${createHash('sha256').update(unit).digest('hex').slice(0, 32)}.json`;
}

function parse(text: string): LeaseBody | null {
  try {
    const body = JSON.parse(text) as LeaseBody;
    return typeof body.writer === 'string' && typeof body.nonce === 'string' ? body : null;
  } catch {
    return null;
  }
}

/** Takes the lease of `unit` for `writer`, waiting while another live writer holds it. */
export async function acquireUnitLease(writer: LakeWriter, unit: string, signal?: AbortSignal): Promise<UnitLease> {
  const { control } = writer.store;
  const path = leasePathOf(unit);
  const nonce = randomBytes(8).toString('hex');
  const text = JSON.stringify({ writer: writer.id, nonce, unit, host: hostname(), pid: process.pid, acquiredAt: new Date().toISOString() } satisfies LeaseBody);
  let wait = writer.options.pollMs ?? 25;
  await writer.ready(); // a holder must look alive to the others, else they take its lease over
  for (;;) {
    signal?.throwIfAborted();
    if (await control.create(path, text)) return held(writer, path, nonce, []);
    const current = await control.read(path);
    if (current === undefined) continue; // released meanwhile
    const holder = parse(current);
    if (holder === null || !(await writer.isLive(holder.writer))) {
      const tokens = await claimTakeover(writer, path, current, text);
      if (tokens !== null) {
        if (await control.read(path) === current) {
          await control.put(path, text);
          return held(writer, path, nonce, tokens);
        }
        for (const token of tokens) await control.remove(token); // changed meanwhile (released, or taken): start over
        continue;
      }
    }
    await sleep(wait, undefined, signal === undefined ? {} : { signal });
    wait = Math.min(wait * 2, 1000);
  }
}

/** The takeover token of `object`, whose text `current` names a dead holder. */
function tokenOf(object: string, current: string): string {
  return `${object}.takeover-${parse(current)?.nonce ?? createHash('sha256').update(current).digest('hex').slice(0, 16)}`;
}

/**
 * Claims the right to take over `object` (a lease or a token) from its dead holder: creates its token, or, when
 * the token's own taker is dead too, claims that token the same way. Returns the tokens this writer now holds
 * (the last one its own), or null when a live writer holds the token.
 */
async function claimTakeover(writer: LakeWriter, object: string, current: string, text: string): Promise<string[] | null> {
  const { control } = writer.store;
  const token = tokenOf(object, current);
  if (await control.create(token, text)) return [token];
  const taker = await control.read(token);
  if (taker === undefined) return null; // removed meanwhile: the caller polls and looks again
  const holder = parse(taker);
  if (holder !== null && await writer.isLive(holder.writer)) return null;
  const deeper = await claimTakeover(writer, token, taker, text);
  return deeper === null ? null : [token, ...deeper];
}

function held(writer: LakeWriter, path: string, nonce: string, tokens: readonly string[]): UnitLease {
  const { control } = writer.store;
  const mine = async (): Promise<boolean> => parse((await control.read(path)) ?? '')?.nonce === nonce;
  return {
    async check() {
      if (await mine()) return;
      throw new SinkWriteError(`lake writer ${writer.id} lost its lease ${path} to another writer (its heartbeat was judged stale)`, { service: 'parquet', file: path }, { retriable: false });
    },
    async release() {
      if (await mine()) await control.remove(path);
      for (const token of tokens) await control.remove(token);
    },
  };
}

/**
 * Takes the lease of lake directory `dir` (relative to the root) for `writer`: what compactions of one day
 * partition hold (compact-lake-dir.ts), so two compactors of a directory run one after the other. Same objects
 * and rules as unit leases; the key space is apart (`dir <path>` is no unit id).
 */
export function acquireDirLease(writer: LakeWriter, dir: string, signal?: AbortSignal): Promise<UnitLease> {
  return acquireUnitLease(writer, `dir ${dir}`, signal);
}
