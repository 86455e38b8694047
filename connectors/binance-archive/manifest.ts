/**
 * The resume manifest: one entry per archive object (key, size, sha256, rows, status, loadedAt). Stored as
 * JSON lines, appended one entry per finished file; the last entry of a key wins. Several runs may share one
 * manifest (two backfills into one lake): every change is an append of whole lines in one `write` to a file
 * opened with O_APPEND, which the kernel never interleaves with another process's, and the file is never
 * rewritten (a compaction by temp file + rename would drop what another run appended meanwhile). A crash
 * loses at most a partial last line, which loading ignores; the next run's first append starts a new line.
 * A rerun skips objects whose entry is `loaded` with the same sha256 as the upstream `.CHECKSUM`; a changed
 * checksum re-ingests.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Final states of an object in the manifest. */
export const MANIFEST_STATUSES = ['loaded', 'failed', 'quarantined'] as const;
export type ManifestStatus = (typeof MANIFEST_STATUSES)[number];

/** One object's entry. */
export interface ManifestEntry {
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
  readonly rows: number;
  readonly status: ManifestStatus;
  /** ISO time the entry was written. */
  readonly loadedAt: string;
  /** Last-Modified of the object, ms, when known. */
  readonly lastModifiedMs: number | null;
  /** Why it failed, for failed/quarantined entries. */
  readonly reason?: string;
}

/** A loaded manifest: look up and record entries. */
export interface Manifest {
  readonly path: string;
  get(key: string): ManifestEntry | undefined;
  /** Records an entry (appends a line). */
  record(entry: ManifestEntry): Promise<void>;
  entries(): ManifestEntry[];
}

function parseLines(text: string): Map<string, ManifestEntry> {
  const entries = new Map<string, ManifestEntry>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const entry = JSON.parse(line) as ManifestEntry;
      if (typeof entry.key === 'string' && typeof entry.sha256 === 'string') entries.set(entry.key, entry);
    } catch {
      // a partial last line from an interrupted run
    }
  }
  return entries;
}

/** Loads the manifest at `path`; a missing file is an empty manifest. */
export async function openManifest(path: string): Promise<Manifest> {
  let text = '';
  try { text = await readFile(path, 'utf8'); } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const entries = parseLines(text);
  await mkdir(dirname(path), { recursive: true });
  // After a partial last line, this run's first entry starts a line of its own (an empty line is ignored).
  let separator = text === '' || text.endsWith('\n') ? '' : '\n';
  return {
    path,
    get: (key) => entries.get(key),
    entries: () => [...entries.values()],
    async record(entry) {
      entries.set(entry.key, entry);
      const line = `${separator}${JSON.stringify(entry)}\n`;
      separator = '';
      await appendFile(path, line);
    },
  };
}

/** True when the manifest says `key` was loaded from exactly these bytes. */
export function isLoaded(manifest: Manifest | undefined, key: string, sha256: string | null): boolean {
  const entry = manifest?.get(key);
  return entry !== undefined && entry.status === 'loaded' && (sha256 === null || entry.sha256 === sha256);
}

/**
 * True when `text` is a manifest this module wrote (every complete line an entry; a partial last line is
 * allowed) or empty: a file for which it is not is never opened as a manifest, since opening compacts it.
 */
export function isManifestText(text: string): boolean {
  const lines = text.split('\n');
  const complete = lines.slice(0, -1).filter((line) => line.trim() !== '');
  if (complete.length === 0) return text.trim() === '';
  return complete.every((line) => {
    try {
      const entry = JSON.parse(line) as Partial<ManifestEntry> | null;
      return typeof entry?.key === 'string' && typeof entry.sha256 === 'string';
    } catch {
      return false;
    }
  });
}
