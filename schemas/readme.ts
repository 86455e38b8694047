/** Renders schemas/README.md from the field tables, so the field reference can never drift from the code. */
import { tableNameOf } from './clickhouse-ddl.js';
import type { FieldSpec } from './fields.js';
import { COMMON_FIELDS, KINDS, KIND_NAMES } from './records.js';

const PREAMBLE = `# schemas — the record contract

Generated from the field tables in \`schemas/records.ts\` by \`npm run gen:schemas\` (a test fails when it is stale).
Every record kind is defined once; the TypeScript type (\`RecordOf\`), the Avro schema (\`generated/avro/*.avsc\`,
subject \`<topic>-value\`, BACKWARD compatible), the ClickHouse DDL (\`generated/clickhouse/*.sql\`,
\`ReplacingMergeTree(version)\` ordered by the identity key, partitioned by month of \`eventTimeUs\`) and the Parquet
columns (\`generated/parquet/*.json\`) are derived from it.

## Conventions

- **Time** is an integer count of **microseconds** since the Unix epoch (UTC) in every \`…Us\` field, exact in a JS
  number below 2^53. Archive values are converted per value by magnitude (µs ≥ 1e15 > ms ≥ 1e12 > s), never by date:
  spot archives switched to µs on 2025-01-01, futures archives are still ms. Text timestamps (metrics, bookDepth) are
  UTC. Kline \`closeTimeUs\` keeps Binance's convention: next open − 1 ms (ms-era files) or − 1 µs (µs-era files).
- **Prices and quantities** are float64 parsed once from the exchange's decimal strings; every value prints back to
  the same decimal (\`formatDecimal\`; tested on every numeric cell of the real fixtures).
- **COIN-M** (\`market = cm\`) quantities are **contracts** and live in fields named for it (\`contracts\`,
  \`takerBuyContracts\`); the base-asset amounts Binance reports beside them are \`baseQty\` / \`baseVolume\` /
  \`takerBuyBaseVolume\`. Base-asset fields (\`qty\`, \`volume\`) are null on COIN-M: nothing is converted silently.
- **Taker side**: \`isBuyerMaker = true\` means the buyer was the resting order, so the taker **sold**. Klines'
  \`takerBuy*\` fields sum the trades whose taker bought (\`isBuyerMaker = false\`).
- **version** settles duplicates of one identity key, here and in ClickHouse: \`rank × 2^44 + sequence\` with rank
  archive 5 > rest 4 > closed ws 3 = resample 3 = derived 3 > open ws 2 > fill 1, and the sequence a ms time (archive objects:
  their LastModified, so a republished file wins). The archive always wins in the end: batch corrects speed.
- **source**: \`archive\` (data.binance.vision), \`rest\` (REST repair), \`ws\` (live), \`resample\` (derived bars),
  \`fill\` (synthetic bars of the flat gap-fill policy), \`derived\` (gold-layer rows: \`indicator\`, \`quality\`).
- Nullable fields are \`null\` when the source does not carry them; mappers never guess a missing value.
`;

function row(field: FieldSpec): string {
  const type = field.enum !== undefined ? `string (${field.enum.join(' \\| ')})` : field.type;
  return `| \`${field.name}\` | ${type}${field.nullable === true ? ', nullable' : ''} | ${field.doc.replace(/\|/g, '\\|')} |`;
}

/** The full text of schemas/README.md. */
export function renderSchemasReadme(): string {
  const common = COMMON_FIELDS.map((f) => f.name);
  const parts = [PREAMBLE, '## Common fields (every kind)\n', '| field | type | meaning |', '|---|---|---|', ...COMMON_FIELDS.map(row), ''];
  for (const kind of KIND_NAMES) {
    const spec = KINDS[kind];
    parts.push(`## \`${kind}\` — ClickHouse table \`${tableNameOf(kind)}\`\n`, spec.doc, '',
      `Identity key: ${spec.key.map((k) => `\`${k}\``).join(', ')}.`, '', '| field | type | meaning |', '|---|---|---|',
      ...(spec.fields as readonly FieldSpec[]).filter((f) => !common.includes(f.name as (typeof common)[number])).map(row), '');
  }
  return parts.join('\n');
}
