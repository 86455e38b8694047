/**
 * The two-replica ClickHouse cluster for the integration tests: the one the environment names
 * (CLICKHOUSE_CLUSTER_NAME and CLICKHOUSE_CLUSTER_URLS, as `infra/local/infra.sh env --cluster` prints them), else
 * infra/local's optional `clickhouse-cluster` service, started for the run when ClickHouse is installed here.
 */
import { localClickHouseAvailable, optionalServiceEnv } from './local-infra.js';

export interface ClusterEndpoint { readonly name: string; readonly urls: readonly string[] }

function clusterOf(env: Record<string, string | undefined>): ClusterEndpoint | undefined {
  const name = env.CLICKHOUSE_CLUSTER_NAME;
  const urls = (env.CLICKHOUSE_CLUSTER_URLS ?? '').split(',').filter((url) => url !== '');
  return name === undefined || name === '' || urls.length < 2 ? undefined : { name, urls };
}

/** The cluster, or undefined when none is named and infra/local cannot start one. */
export async function clickhouseClusterService(): Promise<ClusterEndpoint | undefined> {
  const named = clusterOf(process.env);
  if (named !== undefined || !localClickHouseAvailable()) return named;
  const env = await optionalServiceEnv('clickhouse-cluster', '--cluster');
  return env === undefined ? undefined : clusterOf(env);
}
