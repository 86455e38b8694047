/** Derives Avro schemas (Confluent Schema Registry, BACKWARD compatible evolution) from the field tables. */
import type { FieldSpec } from './fields.js';
import type { KindSpec } from './records.js';

export const AVRO_NAMESPACE = 'io.cryptolakehouse.md';

export type AvroType = string | { type: 'array'; items: string } | (string | { type: 'array'; items: string })[];
export interface AvroField { name: string; type: AvroType; doc: string; default?: null }
export interface AvroRecordSchema { type: 'record'; name: string; namespace: string; doc: string; fields: AvroField[] }

function avroType(field: FieldSpec): AvroType {
  const base = field.type === 'doubleArray' ? { type: 'array' as const, items: 'double' } : field.type;
  return field.nullable === true ? ['null', base] : base;
}

/** The Avro record schema of a kind. Enum-like fields are Avro strings so that new values stay compatible. */
export function avroSchemaOf(spec: KindSpec): AvroRecordSchema {
  return {
    type: 'record',
    name: spec.kind.charAt(0).toUpperCase() + spec.kind.slice(1),
    namespace: AVRO_NAMESPACE,
    doc: spec.doc,
    fields: spec.fields.map((field) => {
      const out: AvroField = { name: field.name, type: avroType(field), doc: field.doc };
      if (field.nullable === true) out.default = null;
      return out;
    }),
  };
}
