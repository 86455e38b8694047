/**
 * The field-table vocabulary: each record kind is a list of {@link FieldSpec}s from which the TypeScript
 * type ({@link RecordOf}), the Avro schema, the ClickHouse DDL and the Parquet schema are derived.
 */

/** Logical field types. `long` holds integers up to 2^53 (µs times, ids); `double` is float64. */
export const FIELD_TYPES = ['string', 'long', 'int', 'double', 'boolean', 'doubleArray'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** One column of a record kind. */
export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  /** `null` is a legal value (Avro union with null, ClickHouse Nullable, Parquet OPTIONAL). */
  readonly nullable?: boolean;
  /** A closed set of string values; the TS type becomes their union. Stored as a string everywhere. */
  readonly enum?: readonly string[];
  /** What the field means, with its unit. Copied into Avro `doc` and schemas/README.md. */
  readonly doc: string;
}

type BaseTs<F extends FieldSpec> = F['type'] extends 'string'
  ? F['enum'] extends readonly (infer E)[] ? E : string
  : F['type'] extends 'boolean' ? boolean
  : F['type'] extends 'doubleArray' ? number[]
  : number;

type FieldTs<F extends FieldSpec> = F['nullable'] extends true ? BaseTs<F> | null : BaseTs<F>;

/** The plain object type of a field table. */
export type RecordOf<Fields extends readonly FieldSpec[]> = {
  -readonly [F in Fields[number] as F['name']]: FieldTs<F>;
};
