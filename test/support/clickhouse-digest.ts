/** Test helper: rows and a content hash of tables of a ClickHouse database, as queries see them (`FINAL`). */
import type { ClickHouseClient } from '@clickhouse/client';
import { quoteIdentifier, tableNameOf } from '../../schemas/clickhouse-ddl.js';
import type { FieldSpec } from '../../schemas/fields.js';
import { KINDS, type KindName } from '../../schemas/records.js';

/** Per table: rows under `FINAL` and the sum of their cityHash64 (order-free; equal content gives equal sums). */
export type ClickHouseDigest = Record<string, { rows: number; hash: string }>;

/** The {@link ClickHouseDigest} of the kinds' tables in `database` (`table`: the table of a kind, e.g. a Distributed one). */
export async function clickhouseDigest(client: ClickHouseClient, database: string, kinds: readonly KindName[], table = tableNameOf): Promise<ClickHouseDigest> {
  const digest: ClickHouseDigest = {};
  for (const kind of kinds) {
    // A hash of a Nullable is a Nullable (NULL for a NULL field, which sum() would skip): hashed with its null flag.
    const columns = (KINDS[kind].fields as readonly FieldSpec[]).map((f) => (f.nullable === true ? `isNull(${quoteIdentifier(f.name)}), assumeNotNull(${quoteIdentifier(f.name)})` : quoteIdentifier(f.name)));
    const result = await client.query({
      query: `SELECT count() AS n, toString(sum(cityHash64(${columns.join(', ')}))) AS h FROM ${quoteIdentifier(database)}.${quoteIdentifier(table(kind))} FINAL`,
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ n: string; h: string | null }>();
    digest[tableNameOf(kind)] = { rows: Number(row?.n ?? 0), hash: row?.h ?? '0' };
  }
  return digest;
}
