/**
 * `lakehouse backfill --enqueue …`: the plan of a backfill (the same request, listing and `--since-last` as a
 * run of its own, the manifest being the shared manifest topic) published to the work topic, one message per
 * archive file, spread evenly over its partitions, for `backfill --worker` processes to load. Files already
 * loaded are published too: a worker skips them after checking their checksum (as a rerun does), so a file
 * Binance republished is loaded again. Prints what was published (`--json`: as JSON); exit status 1 when a
 * requested symbol has no files at all for a type (as a run would end), else 0.
 */
import { publishWork } from '../connectors/kafka/work-queue.js';
import { openTopicManifest } from '../connectors/kafka/topic-manifest.js';
import type { CommandContext } from './command.js';
import type { ResolvedConfig } from './config.js';
import { listBackfillPlan } from './backfill-plan.js';
import { groupedLines } from './backfill-report.js';
import { manifestScopeOf, queueKafkaOf, queueSinksOf, queueTopicOf, workMessageOf } from './backfill-queue.js';
import { sinceLastOf } from './since-last.js';

/** `--since-last` against the manifest topic: the config with its days, or undefined when nothing is left to load. */
async function sinceLastFromTopic(config: ResolvedConfig, scope: string): Promise<ResolvedConfig | undefined> {
  const topic = queueTopicOf(config, 'manifestTopic');
  const manifest = await openTopicManifest({ kafka: queueKafkaOf(config, '--enqueue'), topic, scope });
  try {
    return sinceLastOf(config, manifest.entries(), `the manifest topic ${topic} (scope ${scope})`);
  } finally {
    await manifest.close();
  }
}

/** Runs `backfill --enqueue`; resolves to the exit status. */
export async function runBackfillEnqueue(given: ResolvedConfig, context: CommandContext): Promise<number> {
  const kafka = queueKafkaOf(given, '--enqueue');
  const scope = manifestScopeOf(given, queueSinksOf(given, '--enqueue'));
  const config = given.sinceLast === true ? await sinceLastFromTopic(given, scope) : given;
  if (config === undefined) {
    context.stderr.write('lakehouse backfill: --since-last: every day up to --to is already loaded; nothing to enqueue\n');
    return 0;
  }
  const plan = (await listBackfillPlan(config, context.signal))?.plan;
  if (plan === undefined) {
    context.stderr.write('lakehouse backfill: interrupted while listing the archive; nothing was enqueued\n');
    return 130;
  }
  const topic = queueTopicOf(config, 'workTopic');
  const items = plan.files.map((file) => ({ key: file.key, value: workMessageOf(config, scope, file) }));
  const partitions = await publishWork({ kafka, topic, partitions: config.workPartitions as number, items });
  const unknown = plan.missing.filter((m) => m.emptyFolder);
  if (config.json === true) {
    context.stdout.write(JSON.stringify({ enqueued: items.length, topic, partitions, scope, from: config.from, to: config.to ?? config.from, missing: plan.missing.map((m) => ({ key: m.file.key, reason: m.reason })) }) + '\n');
  } else {
    context.stdout.write(`${items.length} files enqueued to ${topic} (${partitions} partitions) for the workers of scope ${scope}\n`);
    for (const line of groupedLines('missing', plan.missing.map((m) => ({ key: m.file.key, reason: m.reason })))) context.stdout.write(`${line}\n`);
  }
  return unknown.length > 0 ? 1 : 0;
}
