/** The files of a backfill request, listed against its archive unless `--no-list` (shared by backfill and `--enqueue`). */
import { resolveAvailability, unlistedPlan, type ResolvedPlan } from '../connectors/binance-archive/availability.js';
import { planArchiveFiles } from '../connectors/binance-archive/plan.js';
import type { ArchiveSource } from '../connectors/binance-archive/source.js';
import { archiveRequestOf } from './archive-options.js';
import { archiveSourceOf, s3ConfigOf } from './archive-source.js';
import type { ResolvedConfig } from './config.js';

/** The resolved plan and the archive source it was listed from; undefined when `signal` stopped the listing. */
export async function listBackfillPlan(config: ResolvedConfig, signal: AbortSignal): Promise<{ plan: ResolvedPlan; source: ArchiveSource } | undefined> {
  const files = planArchiveFiles(archiveRequestOf(config, 'backfill'));
  const source = archiveSourceOf(config.archive as string, { listingUrl: config.listingUrl as string | undefined, s3: s3ConfigOf(config), timeoutMs: config.timeoutMs as number });
  try {
    return { plan: config.list === false ? unlistedPlan(files) : await resolveAvailability(files, source, signal), source };
  } catch (error) {
    if (!signal.aborted) throw error;
    return undefined;
  }
}
