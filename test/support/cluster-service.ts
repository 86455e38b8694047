/**
 * The two-replica ClickHouse cluster of infra.sh's optional `clickhouse-cluster` service, when its variables are
 * set (`eval "$(infra/local/infra.sh env --cluster)"`): the cluster's name and every server's URL.
 */
export interface ClusterEndpoint { readonly name: string; readonly urls: readonly string[] }

/** The cluster, or undefined when CLICKHOUSE_CLUSTER_NAME / CLICKHOUSE_CLUSTER_URLS (two or more) are not set. */
export function clickhouseClusterService(): ClusterEndpoint | undefined {
  const name = process.env.CLICKHOUSE_CLUSTER_NAME;
  const urls = (process.env.CLICKHOUSE_CLUSTER_URLS ?? '').split(',').filter((url) => url !== '');
  return name === undefined || name === '' || urls.length < 2 ? undefined : { name, urls };
}
