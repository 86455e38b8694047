/**
 * What `backfill --plan` checks beyond the files: the reasons the real run would end with exit 1 that are
 * known before fetching anything — a symbol the listing has nothing for (an empty folder: misspelt, or never
 * listed for that type), and a sink without its endpoint (`--sink kafka` with no brokers or registry,
 * `--sink clickhouse` with no URL). Nothing is connected to.
 */
import type { ResolvedPlan } from '../connectors/binance-archive/availability.js';
import type { ResolvedConfig } from './config.js';
import { sinkNamesOf } from './backfill-sinks.js';

/** One line per reason the run would fail; empty when none is known. */
export function backfillPreflight(config: ResolvedConfig, plan: ResolvedPlan): string[] {
  const problems = new Set<string>();
  for (const missing of plan.missing) {
    if (missing.emptyFolder) problems.add(`nothing in the archive for ${missing.file.market} ${missing.file.dataType} ${missing.file.symbol} (symbol does not exist or was never listed for this type)`);
  }
  const sinks = sinkNamesOf(config);
  const brokers = config.kafkaBrokers as readonly string[] | undefined;
  if (sinks.includes('kafka') && (brokers === undefined || brokers.length === 0 || config.schemaRegistryUrl === undefined)) {
    problems.add('--sink kafka needs --kafka-brokers (KAFKA_BROKERS) and --schema-registry-url (SCHEMA_REGISTRY_URL)');
  }
  if (sinks.includes('clickhouse') && config.clickhouseUrl === undefined) problems.add('--sink clickhouse needs --clickhouse-url or CLICKHOUSE_URL');
  return [...problems];
}
