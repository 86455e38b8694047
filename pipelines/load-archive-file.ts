/**
 * One archive file into the sinks: its batches validated and written in order, a few in flight; a staged file
 * committed once every batch was acknowledged, or aborted on any failure. The file's outcome is decided here:
 * loaded only once every sink acknowledged every batch (and the commit).
 */
import type { ArchiveFileLoad, FileOutcome } from '../connectors/binance-archive/from-binance-archive.js';
import { rowsOf, stageEndBatch, type RecordBatch } from '../connectors/sink.js';
import { splitRejected, validateRecords } from '../operators/validate.js';
import { writeInOrder, type SinkWriter } from './sink-writer.js';

/** How {@link loadArchiveFile} writes a file. */
export interface ArchiveFileWriting {
  /**
   * Batches of the file waiting for their acknowledgement at once: parsing and validating the next batch
   * overlaps the sinks' work on the previous ones. Memory: this many batches per file.
   */
  readonly inFlight: number;
  /** Validate each batch of records (batches encoded early were validated as they were encoded). */
  readonly validate: boolean;
  /** Rows of each data batch, as it is pulled (progress). */
  readonly onRows?: (rows: number) => void;
  /** Rows the validation rejected, and the file's key. */
  readonly onRejected?: (rows: number, key: string) => void;
}

/** Writes one file's batches to every sink; resolves to the file's outcome (never rejects). */
export async function loadArchiveFile(load: ArchiveFileLoad, writer: SinkWriter, writing: ArchiveFileWriting): Promise<FileOutcome> {
  try {
    await writeInOrder(writer, validatedBatches(load, writing), writing.inFlight);
    if (load.stage !== undefined) await writer.write(stageEndBatch(load.file.kind, load.stage, 'commit'));
    return load.outcome();
  } catch (error) {
    if (load.stage !== undefined) await writer.write(stageEndBatch(load.file.kind, load.stage, 'abort')).catch(() => undefined);
    return load.outcome(error);
  }
}

/** A file's batches as the sinks take them: each batch's validation rejects follow it as a dead-letter batch. */
async function* validatedBatches(load: ArchiveFileLoad, writing: ArchiveFileWriting): AsyncGenerator<RecordBatch, void, undefined> {
  for await (const batch of load.batches) {
    if (batch.kind !== 'deadLetter') writing.onRows?.(rowsOf(batch));
    if (!writing.validate) { yield batch; continue; }
    const { main, rejected } = validated(batch);
    yield main;
    if (rejected !== null) {
      writing.onRejected?.(rejected.records.length, load.file.key);
      yield rejected;
    }
  }
}

/** Splits validation dead letters out of a batch (they go to the deadLetter table as their own unit). */
function validated(batch: RecordBatch): { main: RecordBatch; rejected: RecordBatch | null } {
  if (batch.kind === 'deadLetter' || batch.encoded !== undefined) return { main: batch, rejected: null }; // encoded: validated before
  const { kept, rejected } = splitRejected(validateRecords(batch.records));
  if (rejected.length === 0) return { main: batch, rejected: null };
  return {
    main: { ...batch, records: kept },
    rejected: { kind: 'deadLetter', unitId: `${batch.unitId}#invalid`, records: rejected },
  };
}
