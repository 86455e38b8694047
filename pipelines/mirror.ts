/**
 * `lakehouse mirror`: copy archive objects (zip + .CHECKSUM) into an S3 bucket, streamed GET → multipart PUT,
 * verified, skipping objects already there with the same checksum (so a rerun resumes). Same file selection
 * as backfill. Exit status: 0 when every planned object was copied, skipped or is missing upstream with an
 * explanation; 1 when any failed or a symbol has no files at all; 2 for invalid options.
 */
import { lastValueFrom, tap, toArray } from 'rxjs';
import { resolveAvailability, unlistedPlan } from '../connectors/binance-archive/availability.js';
import { mirrorArchive, type MirrorOutcome } from '../connectors/binance-archive/mirror.js';
import { planArchiveFiles } from '../connectors/binance-archive/plan.js';
import { createS3Client } from '../connectors/s3/config.js';
import { parseS3Url } from '../connectors/s3/s3-url.js';
import { ConfigError } from '../schemas/errors.js';
import type { Command, CommandContext } from './command.js';
import { resolveConfig, type OptionSpec } from './config.js';
import { ARCHIVE_OPTIONS, archiveRequestOf } from './archive-options.js';
import { archiveSourceOf, s3ConfigOf } from './archive-source.js';

const OPTIONS: readonly OptionSpec[] = [
  ...ARCHIVE_OPTIONS,
  { name: 'target', type: 'string', doc: 'Destination bucket and prefix', placeholder: 's3://bucket/prefix' },
  { name: 'json', type: 'boolean', doc: 'Print the report as JSON on stdout', default: false },
];

/** Counts of a mirror run. */
export interface MirrorReport {
  planned: number; copied: number; skipped: number; missingUpstream: number; failed: number; bytes: number;
  files: { key: string; status: string; reason: string }[];
  exitCode: number;
}

/** Builds the report of a run from the listing's missing files and the outcomes. */
export function mirrorReportOf(missing: readonly { file: { key: string }; reason: string; emptyFolder: boolean }[], outcomes: readonly MirrorOutcome[]): MirrorReport {
  const count = (status: MirrorOutcome['status']): number => outcomes.filter((o) => o.status === status).length;
  const failed = count('failed');
  const unknown = missing.some((m) => m.emptyFolder);
  return {
    planned: outcomes.length + missing.length, copied: count('copied'), skipped: count('skipped'),
    missingUpstream: count('missing') + missing.length, failed, bytes: outcomes.reduce((s, o) => s + o.bytes, 0),
    files: [...missing.map((m) => ({ key: m.file.key, status: 'missing', reason: m.reason })),
      ...outcomes.filter((o) => o.status === 'failed' || o.status === 'missing').map((o) => ({ key: o.key, status: o.status, reason: o.reason ?? '' }))],
    exitCode: failed > 0 || unknown ? 1 : 0,
  };
}

async function run(argv: readonly string[], context: CommandContext): Promise<number> {
  const { config } = resolveConfig('mirror', OPTIONS, argv, context.env);
  if (typeof config.target !== 'string') throw new ConfigError('lakehouse mirror: --target s3://bucket/prefix is required');
  const target = parseS3Url(config.target);
  const request = archiveRequestOf(config, 'mirror');
  const files = planArchiveFiles(request);
  const source = archiveSourceOf(config.archive as string, { listingUrl: config.listingUrl as string | undefined, s3: s3ConfigOf(config), timeoutMs: config.timeoutMs as number });
  const plan = config.list === false ? unlistedPlan(files) : await resolveAvailability(files, source, context.signal);
  const client = createS3Client(s3ConfigOf(config));
  try {
    const outcomes = await lastValueFrom(mirrorArchive({ files: plan.files, source, target: { client, ...target }, concurrency: config.concurrency as number }).pipe(
      tap((o) => context.stderr.write(JSON.stringify({ mirror: o }) + '\n')),
      toArray(),
    ));
    const report = mirrorReportOf(plan.missing, outcomes);
    context.stdout.write(config.json === true ? JSON.stringify(report) + '\n'
      : `mirror: ${report.planned} planned, ${report.copied} copied, ${report.skipped} skipped (same checksum), ${report.missingUpstream} missing upstream, ${report.failed} failed; ${(report.bytes / 1e6).toFixed(1)} MB\n${report.files.map((f) => `${f.status.padEnd(8)} ${f.key}: ${f.reason}`).join('\n')}\n`);
    return report.exitCode;
  } finally {
    client.destroy();
  }
}

/** The `mirror` command. */
export const mirrorCommand: Command = {
  name: 'mirror',
  usage: 'mirror --target s3://bucket/prefix --market spot --symbols BTCUSDT --types klines:1m --from 2025-07-01 [--to …] [--archive URL|DIR]',
  options: OPTIONS,
  run,
};
