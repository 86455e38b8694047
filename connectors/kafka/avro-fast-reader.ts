/**
 * A compiled Avro reader for values written with a kind's current schema (the common case on the consumer's
 * hot path): one generated function per kind reads the fields straight from the buffer into the record
 * object `{ kind, …fields }` in field-table order, where avsc reads through a schema resolver into an object
 * of its own that is then copied. Short ASCII strings (exchange, market, source, symbol) come from a small
 * per-reader cache, so the records of a stream share one string object per value: fewer allocations, and the
 * operators' Map lookups by symbol compare pointers instead of characters.
 *
 * Exact by construction: the reader returns undefined for anything it does not read exactly as avsc does —
 * a truncated value, trailing bytes, a varint beyond 8 bytes or a value beyond 2^53 − 1, a boolean byte other than 0/1, a union
 * branch other than null/value — and the caller then takes avsc's path, which returns the same record or
 * throws its error. For everything else the values are avsc's: longs and ints by the same zigzag varint
 * arithmetic (the same float operations in the same order, so the same rounding), doubles as little-endian float64, strings as UTF-8 (`utf8Slice`, as avsc on Node).
 */
import type { FieldSpec } from '../../schemas/fields.js';
import { KINDS, type AnyRecord, type KindName } from '../../schemas/records.js';
import { avroSchemaOf } from '../../schemas/avro.js';

/**
 * Reads the Avro body in `buffer[start, end)`; undefined when avsc must judge the value. With `ingestId`, the
 * record gets that one (a consumer's lineage, `topic/partition/offset`) and the producer's is only stepped over:
 * a lineage the consumer replaces anyway is not made into a string first.
 */
export type FastReader = (buffer: Buffer, start: number, end: number, ingestId?: string) => AnyRecord | undefined;

/** Strings cached per reader: a direct-mapped table of this many entries, for values up to {@link CACHED_BYTES}. */
const CACHE_SLOTS = 4096;
const CACHED_BYTES = 32;

function readExpression(field: FieldSpec): string {
  if (field.name === 'ingestId' && field.type === 'string' && field.nullable !== true) return '(lineage === undefined ? str() : (skipStr(), lineage))';
  const base = field.type === 'string' ? 'str()' : field.type === 'double' ? 'dbl()' : field.type === 'boolean' ? 'bool()'
    : field.type === 'doubleArray' ? 'arr()' : 'lng()';
  return field.nullable === true ? `(branch() ? ${base} : null)` : base;
}

/**
 * The generated reader of a kind. The helpers share the cursor (`buf`, `pos`, `end`) and the `bad` flag in the
 * factory's closure, so a field read allocates nothing but its value.
 */
function compile(kind: KindName): FastReader {
  const fields = KINDS[kind].fields as readonly FieldSpec[];
  const body = `
    let buf, pos = 0, end = 0, bad = false;
    const keys = new Int32Array(${CACHE_SLOTS}).fill(-1), values = new Array(${CACHE_SLOTS}).fill('');
    function lng() {
      let n = 0, mult = 1, b;
      for (let i = 0; i < 8; i++) {
        if (pos >= end) { bad = true; return 0; }
        b = buf[pos++];
        n += (b & 0x7f) * mult;
        if (b < 0x80) {
          const v = n % 2 === 0 ? n / 2 : -(n + 1) / 2;
          if (v > ${Number.MAX_SAFE_INTEGER} || v < ${-Number.MAX_SAFE_INTEGER}) { bad = true; return 0; }
          return v;
        }
        mult *= 128;
      }
      bad = true;
      return 0;
    }
    function dbl() {
      if (pos + 8 > end) { bad = true; pos = end; return 0; }
      const v = buf.readDoubleLE(pos);
      pos += 8;
      return v;
    }
    function bool() {
      const b = pos < end ? buf[pos++] : 2;
      if (b > 1) bad = true;
      return b === 1;
    }
    function branch() {
      const b = pos < end ? buf[pos++] : 0xff;
      if (b === 2) return true;
      if (b !== 0) bad = true;
      return false;
    }
    function str() {
      const len = lng();
      if (bad || len < 0 || pos + len > end) { bad = true; return ''; }
      const start = pos;
      pos += len;
      if (len > ${CACHED_BYTES}) return buf.utf8Slice(start, pos);
      let h = len;
      for (let i = start; i < pos; i++) {
        const c = buf[i];
        if (c > 0x7f) return buf.utf8Slice(start, pos);
        h = (Math.imul(h, 31) + c) | 0;
      }
      const slot = (h ^ (h >>> 13)) & ${CACHE_SLOTS - 1};
      if (keys[slot] === h) {
        const cached = values[slot];
        if (cached.length === len) {
          let same = true;
          for (let i = 0; i < len; i++) if (cached.charCodeAt(i) !== buf[start + i]) { same = false; break; }
          if (same) return cached;
        }
      }
      const value = buf.latin1Slice(start, pos);
      keys[slot] = h;
      values[slot] = value;
      return value;
    }
    function skipStr() {
      const len = lng();
      if (bad || len < 0 || pos + len > end) { bad = true; return; }
      pos += len;
    }
    function arr() {
      const items = [];
      for (;;) {
        let n = lng();
        if (bad || n === 0) return items;
        if (n < 0) { n = -n; lng(); }
        for (let i = 0; i < n && !bad; i++) items.push(dbl());
      }
    }
    return function read(buffer, start, stop, lineage) {
      buf = buffer; pos = start; end = stop; bad = false;
      ${fields.map((f, i) => `const v${i} = ${readExpression(f)};`).join('\n      ')}
      buf = undefined;
      if (bad || pos !== stop) return undefined;
      return { kind: ${JSON.stringify(kind)}, ${fields.map((f, i) => `${JSON.stringify(f.name)}: v${i}`).join(', ')} };
    };`;
  return new Function(body)() as FastReader;
}

/**
 * The compiled reader of `kind` for values written with `writerSchema` (the registry's schema text), or
 * undefined when that schema is not the kind's current one field for field (an older writer: avsc resolves it).
 * Each call compiles a reader with its own string cache.
 */
export function avroFastReader(kind: KindName, writerSchema: string): FastReader | undefined {
  let writer: { fields?: { name?: unknown; type?: unknown }[] };
  try {
    writer = JSON.parse(writerSchema) as typeof writer;
  } catch {
    return undefined;
  }
  const current = avroSchemaOf(KINDS[kind]).fields;
  const same = Array.isArray(writer.fields) && writer.fields.length === current.length
    && current.every((field, i) => writer.fields?.[i]?.name === field.name && JSON.stringify(writer.fields[i].type) === JSON.stringify(field.type));
  return same ? compile(kind) : undefined;
}
