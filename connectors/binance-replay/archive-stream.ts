/**
 * Archive files played as they are read: each file (`.zip`, inflated as it streams, or `.csv`) becomes chunks of
 * feed events that carry their file and line offset, several files are merged in time order, and a file can be
 * read again from a recorded line offset (the REST history of rows played long ago). Memory: one inflated
 * piece and one chunk per file, whatever the file's size.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { readLinePieces } from '../binance-archive/csv.js';
import { openZipEntry, readZipDirectory, selectCsvEntry, type ZipEntry } from '../binance-archive/unzip.js';
import type { LiveMarket } from '../binance-live/live-context.js';
import { describeArchiveFile, placedEventOf, streamOfFile, type ArchiveFileInfo } from './archive-csv.js';
import type { FeedEvent, FeedSource } from './replay-feed.js';

/** Events per chunk a file reader yields at most. */
export const ARCHIVE_CHUNK_EVENTS = 1024;

interface OpenedFile { readonly path: string; readonly info: ArchiveFileInfo; readonly entry: ZipEntry | null }

/**
 * A {@link FeedSource} over archive files of `market`, merged in time order with `extra` (events held in
 * memory, e.g. a capture's). Zips are checked up front (central directory, CSV member), so a truncated
 * download fails here rather than mid-play; a CRC-32 mismatch fails the pass at the member's end.
 */
export async function archiveSource(paths: readonly string[], market: LiveMarket, extra: readonly FeedEvent[] = []): Promise<FeedSource> {
  const files: OpenedFile[] = [];
  for (const path of paths) {
    const info = describeArchiveFile(path);
    const entry = path.endsWith('.zip') ? selectCsvEntry(await readZipDirectory(path, (await stat(path)).size), basename(path).replace(/\.zip$/, '.csv'), path) : null;
    files.push({ path, info, entry });
  }
  const read = (origin: number, offset: number): AsyncIterable<FeedEvent[]> => readFileEvents(files[origin], market, origin, offset);
  const streams = new Set(files.map(({ info }) => streamOfFile(info)));
  for (const event of extra) streams.add(event.stream);
  return {
    open: () => mergeByTime([...files.map((_, origin) => read(origin, 0)), inChunks(extra)]),
    reread: read,
    streams: [...streams],
  };
}

async function* inChunks(events: readonly FeedEvent[]): AsyncGenerator<FeedEvent[]> {
  for (let i = 0; i < events.length; i += ARCHIVE_CHUNK_EVENTS) yield events.slice(i, i + ARCHIVE_CHUNK_EVENTS);
}

/** The bytes of a file's CSV from byte `offset` on. */
async function* csvBytes(file: OpenedFile, offset: number): AsyncGenerator<Buffer> {
  if (file.entry === null) { yield* createReadStream(file.path, { start: offset, highWaterMark: 1 << 18 }) as AsyncIterable<Buffer>; return; }
  let skip = offset;
  for await (const chunk of await openZipEntry(file.path, file.entry) as AsyncIterable<Buffer>) {
    if (skip >= chunk.length) { skip -= chunk.length; continue; }
    yield skip > 0 ? chunk.subarray(skip) : chunk;
    skip = 0;
  }
}

/** The events of one file from the line at byte `offset`, in chunks; blank and header lines skipped. */
async function* readFileEvents(file: OpenedFile, market: LiveMarket, origin: number, offset: number): AsyncGenerator<FeedEvent[]> {
  let base = offset;
  let chunk: FeedEvent[] = [];
  for await (const piece of readLinePieces(csvBytes(file, offset))) {
    for (let start = 0; start < piece.length;) {
      const end = piece.indexOf(10, start);
      const first = piece[start];
      if (first >= 48 && first <= 57) {
        const line = piece.toString('latin1', start, end > start && piece[end - 1] === 13 ? end - 1 : end);
        chunk.push(placedEventOf(line, file.info, market, origin, base + start));
        if (chunk.length >= ARCHIVE_CHUNK_EVENTS) { yield chunk; chunk = []; }
      }
      start = end + 1;
    }
    base += piece.length;
  }
  if (chunk.length > 0) yield chunk;
}

/** Merges chunked event streams, each in time order, into one (stable: ties keep the inputs' order). */
async function* mergeByTime(inputs: readonly AsyncIterable<readonly FeedEvent[]>[]): AsyncGenerator<readonly FeedEvent[]> {
  const live = inputs.map((input) => ({ it: input[Symbol.asyncIterator](), chunk: [] as readonly FeedEvent[], at: 0, done: false }));
  try {
    const refill = async (s: (typeof live)[number]): Promise<void> => {
      while (!s.done && s.at >= s.chunk.length) {
        const next = await s.it.next();
        if (next.done === true) s.done = true; else { s.chunk = next.value; s.at = 0; }
      }
    };
    for (const s of live) await refill(s);
    let open = live.filter((s) => !s.done);
    if (open.length === 1) { // one input: its chunks as they are
      const only = open[0];
      yield only.at === 0 ? only.chunk : only.chunk.slice(only.at);
      for (let next = await only.it.next(); next.done !== true; next = await only.it.next()) yield next.value;
      return;
    }
    let out: FeedEvent[] = [];
    while (open.length > 0) {
      let best = open[0];
      for (const s of open) if (s.chunk[s.at].timeMs < best.chunk[best.at].timeMs) best = s;
      out.push(best.chunk[best.at++]);
      if (best.at >= best.chunk.length) { await refill(best); if (best.done) open = open.filter((s) => s !== best); }
      if (out.length >= ARCHIVE_CHUNK_EVENTS) { yield out; out = []; }
    }
    if (out.length > 0) yield out;
  } finally {
    await Promise.all(live.map((s) => (s.done ? undefined : s.it.return?.())));
  }
}
