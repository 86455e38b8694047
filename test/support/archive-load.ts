/**
 * fromBinanceArchive driven as the backfill drives it (pipelines/load-archive-file.ts), with a test writer that
 * calls `write` for each batch: the events come back in order, as the writer saw them.
 */
import { lastValueFrom, mergeMap, toArray } from 'rxjs';
import { fromBinanceArchive, type FileOutcome, type FromBinanceArchiveOptions } from '../../connectors/binance-archive/from-binance-archive.js';
import type { ArchiveFile } from '../../connectors/binance-archive/plan.js';
import type { RecordBatch } from '../../connectors/sink.js';
import type { SinkWriter } from '../../pipelines/sink-writer.js';
import { loadArchiveFile } from '../../pipelines/load-archive-file.js';

/** What the test sink saw, in order. */
export type LoadEvent =
  | { readonly type: 'fetched'; readonly file: ArchiveFile; readonly bytes: number }
  | { readonly type: 'batch'; readonly file: ArchiveFile; readonly batch: RecordBatch }
  | { readonly type: 'file'; readonly outcome: FileOutcome };

/** How {@link loadArchive} writes: batches of a file written at once, validation, and a look at each event as it happens. */
export interface LoadOptions { readonly inFlight?: number; readonly validate?: boolean; readonly onEvent?: (event: LoadEvent) => void }

/** Loads the files; `write` is the sink's write of one batch (a rejection fails it). */
export async function loadArchive(
  options: FromBinanceArchiveOptions, write: (batch: RecordBatch) => Promise<void> = async () => undefined, { inFlight = 1, validate = false, onEvent }: LoadOptions = {},
): Promise<LoadEvent[]> {
  const seen: LoadEvent[] = [];
  const events = { push: (event: LoadEvent): void => { seen.push(event); onEvent?.(event); } };
  const fileOf = new Map<string, ArchiveFile>(); // by key: a unit id is `<key>@<sha256 prefix>#<part>`
  // Each write on its own: a failed one fails its batch only (a real sink's failure stops its whole stream).
  const writer: SinkWriter = {
    write: (batch) => {
      const file = fileOf.get(batch.unitId.split('@')[0]);
      if (file !== undefined) events.push({ type: 'batch', file, batch });
      return write(batch).then(() => undefined);
    },
    close: () => undefined,
    finish: async () => undefined,
  };
  try {
    await lastValueFrom(fromBinanceArchive(options).pipe(
      mergeMap(async (event) => {
        if (event.type !== 'load') { events.push(event); return; }
        events.push({ type: 'fetched', file: event.file, bytes: event.bytes });
        fileOf.set(event.file.key, event.file);
        const outcome = await loadArchiveFile(event, writer, { inFlight, validate });
        events.push({ type: 'file', outcome });
      }),
      toArray(),
    ), { defaultValue: [] });
  } finally {
    writer.close();
  }
  return seen;
}
