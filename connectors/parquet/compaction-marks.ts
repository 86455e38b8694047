/**
 * Compaction marks: `_manifest/compaction/<hash of dir>.<writer>.json` (`{ dir, writer }`), a writer's note that
 * lake directory `dir` may hold more than one row per identity key until it is compacted. The lake compactor of
 * `serve` puts one on its first write into a directory (lake-compactor.ts), and every compaction puts one
 * before it publishes anything (compact-lake-dir.ts); a finished compaction removes its writer's mark and those
 * of dead writers (lake-writer.ts `isLive`) for the directory. A mark whose writer is dead is therefore work a
 * killed process left: {@link deadMarkedDirs} names those directories, and `lakehouse compact` and `serve`
 * compact them first. A live writer's mark stays: that writer compacts the directory itself.
 */
import { createHash } from 'node:crypto';
import type { LakeWriter } from './lake-writer.js';

const MARKS = '_manifest/compaction';
const MARK_NAME = /^([0-9a-f]{32})\.([0-9a-f]{16})\.json$/;

function hashOf(dir: string): string {
  return createHash('sha256').update(dir).digest('hex').slice(0, 32);
}

/** Puts `writer`'s mark on `dir` (replacing its own earlier one). */
export async function markDir(writer: LakeWriter, dir: string): Promise<void> {
  await writer.ready();
  await writer.store.control.put(`${MARKS}/${hashOf(dir)}.${writer.id}.json`, JSON.stringify({ dir, writer: writer.id }));
}

/** The marks in the lake: file name, hash of the directory and writer. */
async function marks(writer: LakeWriter): Promise<{ name: string; hash: string; writer: string }[]> {
  const found: { name: string; hash: string; writer: string }[] = [];
  for (const { name } of await writer.store.list(MARKS)) {
    const match = MARK_NAME.exec(name);
    if (match !== null) found.push({ name, hash: match[1], writer: match[2] });
  }
  return found;
}

/** Removes `writer`'s mark on `dir` and those of dead writers (the directory was just compacted). */
export async function clearMarks(writer: LakeWriter, dir: string): Promise<void> {
  const hash = hashOf(dir);
  for (const mark of await marks(writer)) {
    if (mark.hash !== hash) continue;
    if (mark.writer === writer.id || !(await writer.isLive(mark.writer))) await writer.store.control.remove(`${MARKS}/${mark.name}`);
  }
}

/** The directories marked by dead writers (a compaction or a serving process killed before it compacted them). */
export async function deadMarkedDirs(writer: LakeWriter): Promise<string[]> {
  const dirs = new Set<string>();
  for (const mark of await marks(writer)) {
    if (mark.writer === writer.id || await writer.isLive(mark.writer)) continue;
    const text = await writer.store.control.read(`${MARKS}/${mark.name}`);
    if (text === undefined) continue; // cleared meanwhile
    try {
      const { dir } = JSON.parse(text) as { dir?: unknown };
      if (typeof dir === 'string' && hashOf(dir) === mark.hash) dirs.add(dir);
    } catch {
      // a mark is written whole (a rename, a PUT): unreadable text is not one of ours
    }
  }
  return [...dirs].sort();
}
