/** Test helper: rows and a content hash of every table of a local lake, through DuckDB (independent of the writer). */
import { lakeTypesIn, queryLake } from '../../connectors/parquet/query-lake.js';

/** Per lake type: rows, distinct rows, and the sum of DuckDB's row hashes (order-free; equal content gives equal sums). */
export type LakeDigest = Record<string, { rows: number; distinct: number; hash: string }>;

/** The {@link LakeDigest} of the lake at `root`. */
export async function lakeDigest(root: string): Promise<LakeDigest> {
  const digest: LakeDigest = {};
  for (const type of await lakeTypesIn(root)) {
    const [row] = await queryLake({ root, sql: `SELECT count(*)::BIGINT AS n, (SELECT count(*) FROM (SELECT DISTINCT * FROM "${type}"))::BIGINT AS d, sum(hash(t))::VARCHAR AS h FROM "${type}" t` });
    digest[type] = { rows: Number(row.n), distinct: Number(row.d), hash: String(row.h) };
  }
  return digest;
}
