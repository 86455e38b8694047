/**
 * Resolves a plan against the bucket listing: each file's folder is listed once (all pages); files present
 * get their size and LastModified; a missing monthly file is replaced by its daily fallbacks; other missing
 * files are reported with the reason (a folder that is empty for every period usually means an unknown or
 * delisted symbol).
 */
import { retry, type BackoffOptions } from '../plumbing/backoff.js';
import type { ArchiveFile } from './plan.js';
import type { ListedObject } from './listing.js';
import type { ArchiveSource, SourceListing } from './source.js';

/** A file known (or assumed, without a listing) to exist. */
export interface PlannedFile extends ArchiveFile {
  /** Size from the listing, or null when not listed. */
  readonly size: number | null;
  readonly lastModifiedMs: number | null;
}

/** A planned file the listing shows to be absent. */
export interface MissingFile {
  readonly file: ArchiveFile;
  readonly reason: string;
  /** Nothing at all exists for this symbol and type (usually a symbol that does not exist). */
  readonly emptyFolder: boolean;
}

/** The plan after the listing. */
export interface ResolvedPlan {
  readonly files: readonly PlannedFile[];
  readonly missing: readonly MissingFile[];
  /** Availability came from the listing (false with `--no-list`). */
  readonly listed: boolean;
}

function folderOf(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}

/** The plan taken as is, without a listing (`--no-list`). */
export function unlistedPlan(files: readonly ArchiveFile[]): ResolvedPlan {
  return { files: files.map((f) => ({ ...f, size: null, lastModifiedMs: null })), missing: [], listed: false };
}

/** Lists every folder the plan touches and resolves each file. */
export async function resolveAvailability(
  files: readonly ArchiveFile[], source: ArchiveSource, signal?: AbortSignal, backoff: BackoffOptions = {},
): Promise<ResolvedPlan> {
  const listings = new Map<string, Promise<SourceListing>>();
  const list = (folder: string): Promise<SourceListing> => {
    let listing = listings.get(folder);
    if (listing === undefined) {
      listing = retry(() => source.list(folder, signal), { maxAttempts: 4, ...backoff, signal, context: { url: folder } });
      listings.set(folder, listing);
    }
    return listing;
  };
  const planned: PlannedFile[] = [];
  const missing: MissingFile[] = [];
  for (const file of files) {
    const folder = folderOf(file.key);
    const objects = new Map<string, ListedObject>((await list(folder)).objects.map((o) => [o.key, o]));
    const found = objects.get(file.key);
    if (found !== undefined) { planned.push({ ...file, size: found.size, lastModifiedMs: found.lastModifiedMs }); continue; }
    if (file.fallback.length > 0) {
      const daily = await resolveAvailability(file.fallback, source, signal, backoff);
      planned.push(...daily.files);
      missing.push(...daily.missing);
      continue;
    }
    const empty = objects.size === 0 && (await otherPeriodEmpty(file, list));
    missing.push({
      file, emptyFolder: empty,
      reason: empty
        ? `no ${file.dataType} files at all for ${file.market} ${file.symbol} under ${folder} (unknown or delisted symbol?)`
        : `not published upstream (absent from the listing of ${folder})`,
    });
  }
  return { files: planned, missing, listed: true };
}

async function otherPeriodEmpty(file: ArchiveFile, list: (folder: string) => Promise<SourceListing>): Promise<boolean> {
  const other = file.period === 'daily' ? '/monthly/' : '/daily/';
  const folder = folderOf(file.key).replace(`/${file.period}/`, other);
  return (await list(folder)).objects.length === 0;
}
