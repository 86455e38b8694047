/**
 * `lakehouse replay --via archive`: archive zips parsed by the batch layer's parser (connectors/binance-archive)
 * straight into the sinks, with no replay server, no WebSocket and no JSON in between. For loading or
 * load-testing the sinks at archive speed when the live client's parsing is not what is tested: records are
 * what a backfill makes of the same rows (`source: archive`). At full speed the files go through backfill's own
 * dataflow ({@link loadArchiveFiles}: runBackfill, so a lake-only or ClickHouse-only run validates and encodes
 * each run of rows as it is parsed, no record batches in between); at an even `rate` they are played as records
 * through the live dataflow ({@link replayArchiveRecords}), reading paused while the sinks' backlog is full
 * (`flow`), so memory stays at one parsed chunk per pause. Files are played one after another, in the order given.
 */
import { createReadStream, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Observable } from 'rxjs';
import { DATA_TYPE_SPECS } from '../connectors/binance-archive/data-types.js';
import { parseArchiveFile } from '../connectors/binance-archive/parse-archive-file.js';
import { archiveKey, type ArchiveFile } from '../connectors/binance-archive/plan.js';
import type { LiveStats } from '../connectors/binance-live/from-binance-live.js';
import type { LiveMarket } from '../connectors/binance-live/live-context.js';
import { describeArchiveFile } from '../connectors/binance-replay/archive-csv.js';
import type { ArchiveSource } from '../connectors/binance-archive/source.js';
import type { FlowGate } from '../connectors/plumbing/flow-gate.js';
import type { RecordBatch, SinkEncoding, WriteAck } from '../connectors/sink.js';
import { ConfigError, NotFoundUpstreamError } from '../schemas/errors.js';
import { parseKlineInterval } from '../schemas/interval.js';
import type { AnyRecord } from '../schemas/records.js';
import { makeVersion } from '../schemas/version.js';
import { batchRowsFor } from './backfill.js';
import type { BackfillReport } from './backfill-report.js';
import { runBackfill } from './backfill-run.js';
import type { OperatorFunction } from 'rxjs';

/** What {@link replayArchiveRecords} plays. */
export interface ArchiveReplay {
  readonly paths: readonly string[];
  readonly market: LiveMarket;
  /** Records per second at an even pace; undefined = as fast as the sinks take them. */
  readonly rate?: number;
  readonly flow: FlowGate;
  readonly stats: LiveStats;
  readonly stop: AbortSignal;
}

/** The batch layer's description of an archive zip named `<SYMBOL>-<type|interval>-<date>.zip` of `market`. */
export function archiveFileOf(path: string, market: LiveMarket): ArchiveFile {
  if (!path.endsWith('.zip')) throw new ConfigError(`lakehouse replay --via archive reads zips only; got ${basename(path)}`);
  const { symbol, type, interval } = describeArchiveFile(path);
  const date = /-(\d{4}-\d{2}(?:-\d{2})?)\.zip$/.exec(basename(path))?.[1];
  if (date === undefined) throw new ConfigError(`lakehouse replay: no date in the archive file name ${basename(path)}`);
  const dataType = type === 'klines' ? 'klines' : type;
  const klineInterval = interval === null ? null : parseKlineInterval(interval);
  return {
    key: archiveKey(market, date.length === 7 ? 'monthly' : 'daily', dataType, symbol, klineInterval, date), market, dataType,
    kind: DATA_TYPE_SPECS[dataType].kind, symbol, interval: klineInterval, period: date.length === 7 ? 'monthly' : 'daily', date,
    // Every row of the file is replayed, as the live path plays it, whatever its day.
    rangeStartUs: Number.MIN_SAFE_INTEGER, rangeEndUs: Number.MAX_SAFE_INTEGER, fallback: [],
  };
}

/** The records of the archive zips, for `runLive`; completes at the end of the last file or when `stop` aborts. */
export function replayArchiveRecords(replay: ArchiveReplay): Observable<AnyRecord> {
  const files = replay.paths.map((path) => ({ path, file: archiveFileOf(path, replay.market) }));
  return new Observable<AnyRecord>((subscriber) => {
    let cancelled = false;
    const resumed = (): Promise<void> => new Promise((resolve) => {
      const done = (): void => { off(); replay.stop.removeEventListener('abort', done); resolve(); };
      const off = replay.flow.onChange((paused) => { if (!paused) done(); });
      replay.stop.addEventListener('abort', done, { once: true });
    });
    void (async () => {
      const started = performance.now();
      let sent = 0;
      for (const { path, file } of files) {
        const { size, mtimeMs } = await stat(path);
        for await (const chunk of parseArchiveFile(path, size, file, { version: makeVersion('archive', Math.floor(mtimeMs)), rejectedAtUs: Math.floor(mtimeMs) * 1000 })) {
          if (cancelled || replay.stop.aborted) return;
          if (replay.rate !== undefined) {
            const due = started + (sent * 1000) / replay.rate;
            const wait = due - performance.now();
            if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          }
          if (replay.flow.paused) await resumed();
          if (cancelled || replay.stop.aborted) return;
          for (const record of chunk.records) {
            if (record.kind === 'deadLetter') replay.stats.deadLetters++; else replay.stats.records++;
            subscriber.next(record);
          }
          sent += chunk.records.length;
        }
      }
    })().then(() => subscriber.complete(), (error: unknown) => subscriber.error(error));
    return () => { cancelled = true; };
  });
}

/** The sinks of {@link loadArchiveFiles}, as pipelines/backfill-sinks.ts `buildSinks` makes them. */
export interface ArchiveLoadSinks {
  readonly names: readonly string[];
  readonly sinks: readonly OperatorFunction<RecordBatch, WriteAck>[];
  readonly ready: Promise<void>;
  readonly staged: boolean;
  readonly earlyEncoding?: SinkEncoding;
}

/**
 * `--via archive` at full speed: the zips loaded by backfill's dataflow (runBackfill), each file one unit
 * as a backfill of it would write it (the same parts in the lake), validated, in the order given. No
 * checksum is asked for (the files are the user's, not a mirror's; the zip's own CRC-32 is still checked).
 */
export async function loadArchiveFiles(paths: readonly string[], market: LiveMarket, sinks: ArchiveLoadSinks, signal: AbortSignal): Promise<BackfillReport> {
  const files = paths.map((path) => ({ path, file: archiveFileOf(path, market) }));
  const plan = {
    files: files.map(({ path, file }) => { const { size, mtimeMs } = statSync(path); return { ...file, size, lastModifiedMs: Math.floor(mtimeMs) }; }),
    missing: [], listed: false,
  };
  return runBackfill({
    plan, source: filesSource(files), sinks: sinks.sinks, concurrency: 1, verify: false, validate: true, signal,
    batchRows: batchRowsFor(undefined, sinks.names, sinks.earlyEncoding), staged: sinks.staged, ready: sinks.ready,
    ...(sinks.earlyEncoding === undefined ? {} : { earlyEncoding: sinks.earlyEncoding }),
  });
}

/** An archive source over the files given, by their planned keys (read in place: `localPath`). */
function filesSource(files: readonly { path: string; file: ArchiveFile }[]): ArchiveSource {
  const paths = new Map<string, string>();
  for (const { path, file } of files) {
    if (paths.has(file.key)) throw new ConfigError(`lakehouse replay --via archive: ${basename(path)} is given twice (or two files of that name)`);
    paths.set(file.key, path);
  }
  const pathOf = (key: string): string => {
    const path = paths.get(key);
    if (path === undefined) throw new NotFoundUpstreamError(`${key}: not among --files`, { file: key });
    return path;
  };
  return {
    description: '--files',
    localPath: pathOf,
    readText: (key) => Promise.reject(new NotFoundUpstreamError(`${key}: --files have no checksums`, { file: key })),
    async open(key) {
      const path = pathOf(key);
      const { size, mtimeMs } = await stat(path);
      return { body: createReadStream(path, { highWaterMark: 1 << 20 }), size, lastModifiedMs: Math.floor(mtimeMs) };
    },
    list: () => Promise.resolve({ objects: [], prefixes: [] }),
  };
}
