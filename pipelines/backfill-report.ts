/**
 * The backfill report: counts per outcome; rows that landed, rows rejected to the DLQ, verbatim duplicate rows
 * and rows outside their file's day or the requested days (each row in exactly one of these); every file that
 * was not simply loaded with its reason, an empty or header-only file included. Exit status (documented in
 * README): 0 = every planned file loaded (verbatim duplicate rows and empty files are reported, not errors: the
 * data is complete), skipped as already loaded, or missing upstream with an explanation (absent from the
 * listing / 404 for a day that does not exist); 1 = something planned was neither loaded nor explained (a failed
 * file: checksum mismatch → quarantine, corrupt or truncated zip, no CSV member, a line over --max-line-bytes,
 * more rejected rows than --max-dead-letters, 5xx/timeouts after retries, a sink error; or a symbol with no
 * files at all for a requested type); 3 = all files loaded but rows were rejected to the DLQ (malformed rows,
 * conflicting duplicates, validation failures); 130 = interrupted (SIGINT/SIGTERM): rerun the same command to
 * resume.
 */
import type { MissingFile } from '../connectors/binance-archive/availability.js';
import type { FileOutcome } from '../connectors/binance-archive/from-binance-archive.js';

/** One file that was not simply loaded (`empty`: loaded, but it holds no rows). */
export interface ReportedFile {
  readonly key: string;
  readonly status: 'skipped' | 'missing' | 'failed' | 'empty';
  readonly reason: string;
  readonly errorName: string | null;
}

/** A file Binance republished (new checksum) that this run re-ingested. */
export interface RepublishedFile {
  readonly key: string;
  readonly oldSha256: string;
  readonly newSha256: string;
  /** Parquet parts of the old version removed from the lake; `null` without a lake sink. */
  readonly removedParts: number | null;
}

/** The final report (`--json` prints it as is). */
export interface BackfillReport {
  planned: number;
  loaded: number;
  skipped: number;
  missingUpstream: number;
  failed: number;
  /** Loaded files without a single row (empty, or a header only); listed in `files` as `empty`. */
  empty: number;
  /** Rows that landed in the sinks, of loaded files. */
  rows: number;
  /** Rows of loaded files rejected to the DLQ: malformed, conflicting duplicates, failed validation. */
  rejectedRows: number;
  /** Verbatim repeats of an earlier row of their file: not loaded again, not rejected. */
  duplicateRows: number;
  /** Rows outside their file's own day (month) or the requested days: not loaded. */
  outOfRangeRows: number;
  bytes: number;
  elapsedMs: number;
  /**
   * `market type symbol` groups for which nothing exists upstream (usually unknown symbols): with the listing,
   * folders empty for every period; without it, groups whose every planned file was missing.
   */
  unknownSymbols: string[];
  files: ReportedFile[];
  /** Loaded files whose checksum changed since the manifest's last load, and what left the lake. */
  republished: RepublishedFile[];
  exitCode: number;
}

/** Accumulates outcomes into a report. */
export class ReportBuilder {
  readonly report: BackfillReport = {
    planned: 0, loaded: 0, skipped: 0, missingUpstream: 0, failed: 0, empty: 0, rows: 0, rejectedRows: 0, duplicateRows: 0,
    outOfRangeRows: 0, bytes: 0, elapsedMs: 0, unknownSymbols: [], files: [], republished: [], exitCode: 0,
  };
  private readonly groups = new Map<string, { total: number; missing: number; empty: boolean }>();
  /** Rows of each file rejected after parsing (validation), until its outcome arrives. */
  private readonly rejectedByFile = new Map<string, number>();

  /** `listed`: availability came from the listing, which tells an unknown symbol (empty folders) apart. */
  constructor(private readonly startedMs: number, private readonly listed = true) {}

  private group(file: { market: string; dataType: string; symbol: string }, missing: boolean, empty = false): void {
    const name = `${file.market} ${file.dataType} ${file.symbol}`;
    const g = this.groups.get(name) ?? { total: 0, missing: 0, empty: false };
    g.total++; if (missing) g.missing++; if (empty) g.empty = true;
    this.groups.set(name, g);
  }

  /** A file the listing showed to be absent. */
  addMissing(missing: MissingFile): void {
    this.report.planned++; this.report.missingUpstream++;
    this.group(missing.file, true, missing.emptyFolder);
    this.report.files.push({ key: missing.file.key, status: 'missing', reason: missing.reason, errorName: null });
  }

  /** A file's outcome from the connector. */
  addOutcome(outcome: FileOutcome): void {
    const r = this.report;
    const fellBack = outcome.status === 'missing' && outcome.file.fallback.length > 0;
    if (!fellBack) { r.planned++; this.group(outcome.file, outcome.status === 'missing'); }
    r.bytes += outcome.bytes;
    const validationRejected = this.rejectedByFile.get(outcome.file.key) ?? 0;
    this.rejectedByFile.delete(outcome.file.key);
    const { stats } = outcome;
    if (outcome.status === 'loaded' && stats !== null) {
      // Parsed rows include the ones validation rejected afterwards: those did not land.
      r.rows += stats.rows - validationRejected; r.rejectedRows += stats.deadLetters + validationRejected;
      r.duplicateRows += stats.duplicates; r.outOfRangeRows += stats.outOfRange;
      if (stats.lines === 0) {
        r.empty++;
        r.files.push({ key: outcome.file.key, status: 'empty', reason: stats.header ? 'header only, no rows' : 'empty file, no rows', errorName: null });
      }
    }
    if (outcome.status === 'loaded') { r.loaded++; return; }
    if (outcome.status === 'skipped') r.skipped++;
    else if (outcome.status === 'failed') r.failed++;
    else if (!fellBack) r.missingUpstream++;
    r.files.push({ key: outcome.file.key, status: outcome.status, reason: outcome.reason ?? '', errorName: outcome.errorName });
  }

  /** A loaded file that replaced an earlier load with another checksum. */
  addRepublished(file: RepublishedFile): void {
    this.report.republished.push(file);
  }

  /** Rows of the file `key` rejected after parsing (validation), counted with the file's outcome. */
  addRejected(rows: number, key: string): void {
    this.rejectedByFile.set(key, (this.rejectedByFile.get(key) ?? 0) + rows);
  }

  /** Closes the report: unknown symbols and the exit status. */
  finish(nowMs: number): BackfillReport {
    const r = this.report;
    r.elapsedMs = nowMs - this.startedMs;
    r.unknownSymbols = [...this.groups]
      .filter(([, g]) => g.empty || (!this.listed && g.total > 0 && g.missing === g.total)).map(([name]) => name);
    r.exitCode = r.failed > 0 || r.unknownSymbols.length > 0 ? 1 : r.rejectedRows > 0 ? 3 : 0;
    return r;
  }
}

/** The human form of a report. */
export function formatReport(r: BackfillReport): string {
  const lines = [
    `backfill: ${r.planned} planned, ${r.loaded} loaded, ${r.skipped} skipped (already loaded), ${r.missingUpstream} missing upstream, ${r.failed} failed`,
    `rows: ${r.rows} loaded, ${r.rejectedRows} rejected to the DLQ, ${r.duplicateRows} verbatim duplicates not loaded twice, ${r.outOfRangeRows} outside their file's day or the requested days; ${(r.bytes / 1e6).toFixed(1)} MB in ${(r.elapsedMs / 1000).toFixed(1)} s`,
  ];
  for (const name of r.unknownSymbols) lines.push(`UNKNOWN: nothing in the archive for ${name} (symbol does not exist or was never listed for this type)`);
  for (const f of r.files.filter((x) => x.status === 'failed')) lines.push(`FAILED  ${f.key}: ${f.reason}`);
  lines.push(...groupedLines('missing', r.files.filter((x) => x.status === 'missing')));
  lines.push(...groupedLines('EMPTY', r.files.filter((x) => x.status === 'empty')));
  lines.push(...republishedLines(r.republished));
  const verdict = r.exitCode === 0 ? 'OK' : r.exitCode === 3 ? 'loaded, with rejected rows (see the deadLetters table)'
    : r.exitCode === 130 ? 'INTERRUPTED: rerun the same command to resume' : 'INCOMPLETE: see FAILED/UNKNOWN above';
  lines.push(`status: ${verdict} (exit ${r.exitCode})`);
  return lines.join('\n');
}

function republishedLines(files: readonly RepublishedFile[]): string[] {
  const fate = (n: number | null): string => (n === null ? 'no Parquet lake sink in this run' : `${n} Parquet part${n === 1 ? '' : 's'} of the old version removed from the lake`);
  if (files.length <= 3) {
    return files.map((f) => `REPUBLISHED ${f.key}: re-ingested (sha256 ${f.oldSha256.slice(0, 12)}… → ${f.newSha256.slice(0, 12)}…), ${fate(f.removedParts)}`);
  }
  const removed = files.some((f) => f.removedParts !== null) ? files.reduce((sum, f) => sum + (f.removedParts ?? 0), 0) : null;
  return [`REPUBLISHED ${files.length} files (${files[0].key} … ${files.at(-1)?.key}) re-ingested with new checksums, ${fate(removed)}`];
}

/**
 * `<label> <key>: <reason>` per file, except that files sharing one reason (a symbol with nothing upstream, a
 * month not yet published) collapse into `<label> N files (<first> … <last>): <reason>`.
 */
export function groupedLines(label: string, files: readonly { key: string; reason: string }[]): string[] {
  const byReason = new Map<string, string[]>();
  for (const f of files) byReason.set(f.reason, [...(byReason.get(f.reason) ?? []), f.key]);
  const lines: string[] = [];
  for (const [reason, keys] of byReason) {
    if (keys.length <= 3) for (const key of keys) lines.push(`${label} ${key}: ${reason}`);
    else lines.push(`${label} ${keys.length} files (${keys[0]} … ${keys.at(-1)}): ${reason}`);
  }
  return lines;
}
