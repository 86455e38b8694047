/** Test helper: every record of an archive file, valid ones and dead letters apart, with the parser's stats. */
import { statSync } from 'node:fs';
import { parseArchiveFile, type ParseStats } from '../../connectors/binance-archive/parse-archive-file.js';
import type { ArchiveFile } from '../../connectors/binance-archive/plan.js';
import type { AnyRecord, DeadLetterRecord } from '../../schemas/records.js';

/** What {@link parseAll} returns. */
export interface ParsedArchive { records: AnyRecord[]; dead: DeadLetterRecord[]; stats: ParseStats }

/** Parses the zip at `path` as `file` (version 1) to the end. */
export async function parseAll(path: string, file: ArchiveFile, batchRows?: number): Promise<ParsedArchive> {
  const chunks = parseArchiveFile(path, statSync(path).size, file, { version: 1, ...(batchRows === undefined ? {} : { batchRows }) });
  const records: AnyRecord[] = [];
  const dead: DeadLetterRecord[] = [];
  for (;;) {
    const next = await chunks.next();
    if (next.done === true) return { records, dead, stats: next.value };
    for (const r of next.value.records) (r.kind === 'deadLetter' ? dead : records).push(r as never);
  }
}
