/**
 * The committed, generated artefacts of the field tables: Avro schemas (`schemas/generated/avro/*.avsc`),
 * ClickHouse DDL for a modern server (`schemas/generated/clickhouse/*.sql`) and the Parquet column layout
 * (`schemas/generated/parquet/*.json`), and schemas/README.md. `npm run gen:schemas` rewrites them; a test fails on drift.
 */
import { avroSchemaOf } from './avro.js';
import { MODERN_CLICKHOUSE, clickhouseTableDdl } from './clickhouse-ddl.js';
import { parquetColumnsOf } from './parquet-schema.js';
import { renderSchemasReadme } from './readme.js';
import { KINDS, KIND_NAMES } from './records.js';

/** Relative path (from the repo root) → file content, for every generated artefact. */
export function generatedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const kind of KIND_NAMES) {
    const spec = KINDS[kind];
    files.set(`schemas/generated/avro/${kind}.avsc`, JSON.stringify(avroSchemaOf(spec), null, 2) + '\n');
    files.set(`schemas/generated/clickhouse/${kind}.sql`, clickhouseTableDdl(spec, MODERN_CLICKHOUSE).join(';\n') + ';\n');
    files.set(`schemas/generated/parquet/${kind}.json`, JSON.stringify(parquetColumnsOf(spec), null, 2) + '\n');
  }
  files.set('schemas/README.md', renderSchemasReadme());
  return files;
}
