/**
 * Sweeping one lake directory: what killed or earlier runs left there. A hidden file (lake-hidden-files.ts)
 * goes when its writer is dead (lake-writer.ts `isLive`: no heartbeat, a stale one, or a vanished process on
 * this host) — a live writer's temp and staged files stay, whatever their age; a hidden file named by an
 * earlier version (no writer in its name) goes once older than `unnamedStaleMs`. A retired part (a compaction
 * killed while removing it) is never swept: it may hold a writer's newer rows, and the next compaction of the
 * directory puts it back (compact-lake-dir.ts). With `unitPrefix`, the unit's
 * visible parts not in `keep` go too (an earlier run of the unit cut into other parts): only under the unit's
 * lease (lake-lease.ts), which is what keeps another writer's fresh parts of the unit safe.
 */
import { hiddenFileOf } from './lake-hidden-files.js';
import { isPartOfUnit } from './lake-path.js';
import type { LakeWriter } from './lake-writer.js';

/** Age after which a hidden file without a writer in its name (an earlier version's) is swept. */
export const UNNAMED_STALE_MS = 3_600_000;

/** What else {@link sweepLakeDir} removes. */
export interface SweepOptions {
  /** The unit whose other visible parts go (lake-path.ts `isPartOfUnit`). */
  readonly unitPrefix?: string;
  /** Names that stay (the unit's parts just published). */
  readonly keep?: ReadonlySet<string>;
  /** @default {@link UNNAMED_STALE_MS} */
  readonly unnamedStaleMs?: number;
}

/** Removes from `relativeDir` what a dead writer or an earlier run left (see the module doc); returns the count. */
export async function sweepLakeDir(writer: LakeWriter, relativeDir: string, options: SweepOptions = {}): Promise<number> {
  const live = new Map<string, Promise<boolean>>();
  const isLive = (id: string): Promise<boolean> => {
    let answer = live.get(id);
    if (answer === undefined) live.set(id, (answer = writer.isLive(id)));
    return answer;
  };
  const doomed: string[] = [];
  for (const { name, ageMs } of await writer.store.list(relativeDir)) {
    if (options.keep?.has(name) === true) continue;
    const hidden = hiddenFileOf(name);
    if (hidden?.kind === 'retired') continue;
    if (hidden === null) {
      if (options.unitPrefix !== undefined && isPartOfUnit(name, options.unitPrefix)) doomed.push(name);
    } else if (hidden.writer === null ? ageMs > (options.unnamedStaleMs ?? UNNAMED_STALE_MS) : !(await isLive(hidden.writer))) {
      doomed.push(name);
    }
  }
  await writer.store.remove(relativeDir, doomed);
  return doomed.length;
}
