/**
 * Generates a directory laid out like data.binance.vision (`<root>/data/<market>/<period>/<type>/...`) with
 * deterministic data in the real formats (test/support/archive-rows.ts), one CSV member per zip named like
 * the zip, and `.CHECKSUM` companions (alternately with and without the trailing newline, as both occur).
 * The files are exactly those the planner asks for, so a backfill of the same request finds all of them.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Market } from '../../schemas/ids.js';
import { US_PER_DAY, parseUtcDayUs } from '../../schemas/time.js';
import { planArchiveFiles, type ArchiveFile, type TypeRequest } from '../../connectors/binance-archive/plan.js';
import { parseTypeRequests } from '../../connectors/binance-archive/plan.js';
import { archiveRows, headerOf } from './archive-rows.js';
import { writeChecksum, writeZip } from './archive-zip.js';

/** What to generate (same shape as a backfill request). */
export interface MirrorRequest {
  readonly markets: readonly Market[];
  readonly symbols: readonly string[];
  /** `klines:1m`, `trades`, … */
  readonly types: readonly string[];
  readonly fromDay: string;
  readonly toDay: string;
  /** Rows per day for event types. @default 500 */
  readonly eventsPerDay?: number;
  /** "Now" for the monthly/daily split. @default 2026-11-01 */
  readonly nowUs?: number;
  /** Also write monthly fallback dailies. @default false */
  readonly withFallbackDailies?: boolean;
}

/** One generated object. */
export interface GeneratedFile {
  readonly key: string;
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  /** Data rows (excluding the header). */
  readonly rows: number;
  readonly file: ArchiveFile;
}

/** A stable 32-bit seed from a key. */
export function seedOf(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32LE(0);
}

/** The covered time of a file: its day, or its whole month. */
export function fileSpanUs(file: ArchiveFile): { startUs: number; endUs: number } {
  if (file.period === 'daily') { const startUs = parseUtcDayUs(file.date); return { startUs, endUs: startUs + US_PER_DAY }; }
  const startUs = parseUtcDayUs(`${file.date}-01`);
  const d = new Date(startUs / 1000);
  return { startUs, endUs: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) * 1000 };
}

/** Writes one archive file (zip + CHECKSUM) under `root`; `lines` overrides the generated CSV body. */
export async function writeArchiveFile(root: string, file: ArchiveFile, options: { eventsPerDay?: number; lines?: string[]; newline?: boolean; maxRows?: number } = {}): Promise<GeneratedFile> {
  const path = join(root, file.key);
  const { startUs, endUs } = fileSpanUs(file);
  const header = headerOf(file);
  let rows = 0;
  const body = options.lines !== undefined
    ? [options.lines.join('\n') + '\n']
    : archiveRows({ ...file, startUs, endUs, eventsPerDay: options.eventsPerDay, maxRows: options.maxRows, seed: seedOf(file.key) });
  async function* content(): AsyncGenerator<string> {
    if (header !== null && options.lines === undefined) yield header + '\n';
    for (const chunk of body) { rows += countLines(chunk); yield chunk; }
  }
  const member = file.key.slice(file.key.lastIndexOf('/') + 1).replace(/\.zip$/, '.csv');
  const { sha256, size } = await writeZip(path, [{ name: member, content: content() }]);
  await writeChecksum(path, sha256, options.newline ?? seedOf(file.key) % 2 === 0);
  return { key: file.key, path, sha256, size, rows, file };
}

function countLines(chunk: string): number {
  let n = 0;
  for (let i = chunk.indexOf('\n'); i >= 0; i = chunk.indexOf('\n', i + 1)) n++;
  return n;
}

/** Generates the mirror for `request` under `root`; returns what it wrote. */
export async function generateArchiveMirror(root: string, request: MirrorRequest): Promise<GeneratedFile[]> {
  const types: TypeRequest[] = parseTypeRequests(request.types);
  const planned = planArchiveFiles({
    markets: request.markets, symbols: request.symbols, types, fromDay: request.fromDay, toDay: request.toDay,
    nowUs: request.nowUs ?? Date.UTC(2026, 10, 1) * 1000,
  });
  const out: GeneratedFile[] = [];
  for (const file of planned) {
    out.push(await writeArchiveFile(root, file, { eventsPerDay: request.eventsPerDay }));
    if (request.withFallbackDailies === true) {
      for (const daily of file.fallback) out.push(await writeArchiveFile(root, daily, { eventsPerDay: request.eventsPerDay }));
    }
  }
  return out;
}
