import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ReportBuilder, formatReport, groupedLines } from '../../pipelines/backfill-report.js';
import { planArchiveFiles, parseTypeRequests } from '../../connectors/binance-archive/plan.js';
import type { FileOutcome } from '../../connectors/binance-archive/from-binance-archive.js';

const [day1, day2] = planArchiveFiles({ markets: ['spot'], symbols: ['BTCUSDT'], types: parseTypeRequests(['trades']), fromDay: '2025-07-01', toDay: '2025-07-02' });
const outcome = (file: typeof day1, status: FileOutcome['status'], extra: Partial<FileOutcome> = {}): FileOutcome => ({
  file: file!, status, reason: status === 'loaded' ? null : `${status} because`, errorName: null, bytes: 10, sha256: 'a'.repeat(64),
  lastModifiedMs: 0, parts: 1, stats: status === 'loaded' ? { rows: 5, deadLetters: 0, duplicates: 0, outOfRange: 0, header: false, lines: 5 } : null, quarantined: false, ...extra,
});

describe('backfill report', () => {
  it('exits 0 when every file is loaded, skipped, or missing upstream with an explanation', () => {
    const b = new ReportBuilder(0);
    b.addOutcome(outcome(day1, 'loaded'));
    b.addMissing({ file: day2!, reason: 'not published upstream', emptyFolder: false });
    const r = b.finish(1000);
    assert.deepEqual([r.planned, r.loaded, r.missingUpstream, r.exitCode], [2, 1, 1, 0]);
    assert.match(formatReport(r), /missing data\/spot\/daily\/trades\/BTCUSDT\/BTCUSDT-trades-2025-07-02.zip: not published upstream/);
  });

  it('exits 1 for a failed file and names it with its reason', () => {
    const b = new ReportBuilder(0);
    b.addOutcome(outcome(day1, 'loaded'));
    b.addOutcome(outcome(day2, 'failed', { reason: 'checksum mismatch; bytes quarantined' }));
    const r = b.finish(1);
    assert.equal(r.exitCode, 1);
    assert.match(formatReport(r), /FAILED  .*2025-07-02.zip: checksum mismatch; bytes quarantined/);
  });

  it('names each republished file with its old and new checksum and the lake parts removed, without changing the exit status', () => {
    const b = new ReportBuilder(0);
    b.addOutcome(outcome(day1, 'loaded'));
    b.addRepublished({ key: day1!.key, oldSha256: 'a'.repeat(64), newSha256: 'b'.repeat(64), removedParts: 3 });
    const r = b.finish(1);
    assert.equal(r.exitCode, 0);
    assert.deepEqual(r.republished.map((f) => f.removedParts), [3]);
    assert.match(formatReport(r), /REPUBLISHED .*2025-07-01.zip: re-ingested \(sha256 a{12}… → b{12}…\), 3 Parquet parts of the old version removed from the lake/);
  });

  it('exits 3 when files loaded but rows were rejected; 0 when their only problem is verbatim duplicates', () => {
    const b = new ReportBuilder(0);
    b.addOutcome(outcome(day1, 'loaded', { stats: { rows: 5, deadLetters: 2, duplicates: 1, outOfRange: 0, header: false, lines: 5 } }));
    assert.equal(b.finish(1).exitCode, 3);
    const duplicates = new ReportBuilder(0);
    duplicates.addOutcome(outcome(day1, 'loaded', { stats: { rows: 5, deadLetters: 0, duplicates: 4, outOfRange: 2, header: false, lines: 11 } }));
    const r = duplicates.finish(1);
    assert.deepEqual([r.exitCode, r.duplicateRows, r.outOfRangeRows], [0, 4, 2]);
  });

  it('counts rows validation rejected after parsing under their file: rejected, not loaded; a failed file\'s not at all', () => {
    const b = new ReportBuilder(0);
    b.addRejected(2, day1!.key);
    b.addRejected(1, day2!.key);
    b.addRejected(1, day1!.key);
    b.addOutcome(outcome(day1, 'loaded', { stats: { rows: 11, deadLetters: 1, duplicates: 0, outOfRange: 0, header: false, lines: 12 } }));
    b.addOutcome(outcome(day2, 'failed'));
    const r = b.finish(1);
    assert.deepEqual([r.rows, r.rejectedRows, r.exitCode], [8, 4, 1]);
    assert.match(formatReport(r), /rows: 8 loaded, 4 rejected to the DLQ/);
  });

  it('names a loaded file without rows (empty, or a header only) and keeps exit 0', () => {
    const b = new ReportBuilder(0);
    b.addOutcome(outcome(day1, 'loaded', { stats: { rows: 0, deadLetters: 0, duplicates: 0, outOfRange: 0, header: true, lines: 0 } }));
    b.addOutcome(outcome(day2, 'loaded', { stats: { rows: 0, deadLetters: 0, duplicates: 0, outOfRange: 0, header: false, lines: 0 } }));
    const r = b.finish(1);
    assert.deepEqual([r.loaded, r.empty, r.exitCode], [2, 2, 0]);
    assert.deepEqual(r.files.map((f) => [f.status, f.reason]), [['empty', 'header only, no rows'], ['empty', 'empty file, no rows']]);
    assert.match(formatReport(r), /EMPTY .*2025-07-01\.zip: header only, no rows/);
  });

  it('calls a symbol unknown from empty listing folders, or without a listing when every file was missing', () => {
    const listed = new ReportBuilder(0, true);
    listed.addMissing({ file: day1!, reason: 'before the first file', emptyFolder: false });
    listed.addMissing({ file: day2!, reason: 'before the first file', emptyFolder: false });
    assert.deepEqual(listed.finish(1).unknownSymbols, []);
    const unlisted = new ReportBuilder(0, false);
    unlisted.addOutcome(outcome(day1, 'missing'));
    unlisted.addOutcome(outcome(day2, 'missing'));
    const r = unlisted.finish(1);
    assert.deepEqual(r.unknownSymbols, ['spot trades BTCUSDT']);
    assert.equal(r.exitCode, 1);
  });
});

describe('groupedLines', () => {
  it('collapses more than three files with one reason into one line and keeps the others apart', () => {
    const files = ['a', 'b', 'c', 'd'].map((key) => ({ key, reason: 'no such symbol' }));
    assert.deepEqual(groupedLines('missing', [...files, { key: 'e', reason: '404' }]), [
      'missing 4 files (a … d): no such symbol',
      'missing e: 404',
    ]);
  });
});
