/**
 * `lakehouse backfill --worker`: one member of the consumer group (`--group-id`) that loads the archive files
 * `backfill --enqueue` published to the work topic. Each file is loaded as a backfill of that one file would
 * load it (pipelines/backfill-run.ts: verified, staged where the sinks stage, recorded in the manifest), the
 * manifest being the shared manifest topic; its message is committed only after that, so a worker killed
 * mid-file leaves the file to the member that gets its partition next, which loads it again: staged units and
 * deterministic part names make the second load replace the first one's leftovers instead of adding to them.
 * A file that fails for its own reasons (checksum, corrupt zip) is recorded as failed and committed; a sink's
 * failure stops the worker with the file uncommitted. Runs until SIGTERM/SIGINT (files in flight are left to
 * the others) or, with `--exit-when-drained`, until the group has processed every published file; then prints
 * the report of the files it loaded (`--json`: as JSON).
 */
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tap, type OperatorFunction } from 'rxjs';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ArchiveSource } from '../connectors/binance-archive/source.js';
import { openTopicManifest, type TopicManifest } from '../connectors/kafka/topic-manifest.js';
import { consumeWork, type WorkMessage } from '../connectors/kafka/work-queue.js';
import { createS3Client } from '../connectors/s3/config.js';
import { isS3Url } from '../connectors/s3/s3-url.js';
import type { RecordBatch, SinkEncoding, WriteAck } from '../connectors/sink.js';
import { ConfigError } from '../schemas/errors.js';
import type { CommandContext } from './command.js';
import type { ResolvedConfig } from './config.js';
import { archiveSourceOf, s3ConfigOf } from './archive-source.js';
import { formatReport, type BackfillReport } from './backfill-report.js';
import { runBackfill } from './backfill-run.js';
import { buildSinks } from './backfill-sinks.js';
import { manifestScopeOf, parseWorkMessage, queueKafkaOf, queueSinksOf, queueTopicOf } from './backfill-queue.js';

/** Adds a file's report to the worker's. */
function addReport(total: BackfillReport, file: BackfillReport): void {
  for (const field of ['planned', 'loaded', 'skipped', 'missingUpstream', 'failed', 'empty', 'rows', 'rejectedRows', 'duplicateRows', 'outOfRangeRows', 'bytes'] as const) {
    total[field] += file[field];
  }
  total.unknownSymbols.push(...file.unknownSymbols);
  total.files.push(...file.files);
  total.republished.push(...file.republished);
}

/** The sinks, each telling `onError` when it fails (a sink's failure is the worker's, not the file's). */
function watched(sinks: readonly OperatorFunction<RecordBatch, WriteAck>[], onError: (error: unknown) => void): OperatorFunction<RecordBatch, WriteAck>[] {
  return sinks.map((sink) => (batches) => batches.pipe(sink, tap({ error: onError })));
}

/** Records per batch for a worker's sinks (pipelines/backfill.ts `batchRowsFor`, passed in: that module imports this one). */
export type BatchRowsFor = (explicit: number | undefined, sinkNames: readonly string[], earlyEncoding?: SinkEncoding) => number;

/** Runs `backfill --worker`; resolves to the exit status. */
export async function runBackfillWorker(config: ResolvedConfig, context: CommandContext, batchRowsFor: BatchRowsFor): Promise<number> {
  const kafka = queueKafkaOf(config, '--worker');
  queueSinksOf(config, '--worker');
  const startedMs = Date.now();
  const built = await buildSinks(config);
  const scope = manifestScopeOf(config, built.names);
  const lake = config.lake as string;
  const s3Client: S3Client | undefined = built.names.includes('parquet') && isS3Url(lake) ? createS3Client(s3ConfigOf(config)) : undefined;
  const lakeTarget = built.names.includes('parquet') ? { root: lake, ...(s3Client === undefined ? {} : { s3Client }) } : undefined;
  const spoolDir = join(tmpdir(), `lakehouse-spool-${process.pid}`);
  const sources = new Map<string, ArchiveSource>();
  const total: BackfillReport = {
    planned: 0, loaded: 0, skipped: 0, missingUpstream: 0, failed: 0, empty: 0, rows: 0, rejectedRows: 0, duplicateRows: 0,
    outOfRangeRows: 0, bytes: 0, elapsedMs: 0, unknownSymbols: [], files: [], republished: [], exitCode: 0,
  };
  let manifest: TopicManifest | undefined;
  try {
    await built.ready;
    manifest = await openTopicManifest({ kafka, topic: queueTopicOf(config, 'manifestTopic'), scope });
    const shared = manifest;
    const handle = async (message: WorkMessage): Promise<void> => {
      const work = parseWorkMessage(message.value, `work message ${message.partition}/${message.offset} (${message.key})`);
      if (work.scope !== scope) {
        throw new ConfigError(`work message for ${work.file.key} is for the sinks ${work.scope}, and this worker writes ${scope}: start the workers with the sink options of the enqueuing command`);
      }
      let source = sources.get(work.archive);
      if (source === undefined) sources.set(work.archive, (source = archiveSourceOf(work.archive, { s3: s3ConfigOf(config), timeoutMs: config.timeoutMs as number })));
      let sinkFailure: { error: unknown } | undefined;
      // The file's own signal, linked to the worker's: a run leaves its listener on the signal it was given.
      const file = new AbortController();
      const stop = (): void => file.abort();
      context.signal.addEventListener('abort', stop, { once: true });
      const report = await runBackfill({
        plan: { files: [work.file], missing: [], listed: true }, source, sinks: watched(built.sinks, (error) => { sinkFailure ??= { error }; }),
        manifest: shared, concurrency: 1, verify: work.settings.verify, validate: work.settings.validate, lake: lakeTarget,
        batchRows: batchRowsFor(work.settings.batchRows, built.names, built.earlyEncoding), signal: file.signal,
        spoolDir, quarantineDir: join('.lakehouse', 'quarantine'), staged: built.staged, ready: built.ready,
        maxLineBytes: work.settings.maxLineBytes, maxDeadLetters: work.settings.maxDeadLetters,
        ...(built.earlyEncoding === undefined ? {} : { earlyEncoding: built.earlyEncoding }),
      }).finally(() => context.signal.removeEventListener('abort', stop));
      if (sinkFailure !== undefined) throw sinkFailure.error;
      if (context.signal.aborted) return; // stopped mid-file: not committed, another worker loads it
      addReport(total, report);
      const outcome = report.files.find((f) => f.key === work.file.key);
      context.stderr.write(`${outcome?.status ?? 'loaded'} ${work.file.key} (${report.rows} rows, ${report.elapsedMs} ms)${outcome?.reason === undefined ? '' : `: ${outcome.reason}`}\n`);
    };
    await consumeWork({
      kafka, topic: queueTopicOf(config, 'workTopic'), groupId: config.groupId as string,
      handle, signal: context.signal, exitWhenDrained: config.exitWhenDrained === true, sessionTimeoutMs: config.sessionTimeoutMs as number,
    });
  } finally {
    await manifest?.close();
    await built.close();
    s3Client?.destroy();
    await rm(spoolDir, { recursive: true, force: true });
  }
  total.elapsedMs = Date.now() - startedMs;
  total.exitCode = total.failed > 0 || total.unknownSymbols.length > 0 ? 1 : total.rejectedRows > 0 ? 3 : 0;
  context.stdout.write(config.json === true ? JSON.stringify(total) + '\n' : `worker ${formatReport(total)}\n`);
  return total.exitCode;
}
