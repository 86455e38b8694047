/**
 * `validate`: schema and sanity checks. A rejected record becomes a `deadLetter` record in-band (the DLQ side
 * output) and the stream continues; accepted records pass through unchanged, in order.
 */
import { asyncScheduler, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { KINDS, MARKETS, SOURCES, US_PER_MS, type AnyRecord, type DeadLetterRecord, type FieldSpec, type Market, type Source } from '../schemas/index.js';
import { processRecords, type Emit, type RecordProcessor } from './record-processor.js';
import { sanityProblem } from './validate-rules.js';

/** The `errorName` of every dead letter this operator writes. */
export const VALIDATION_ERROR = 'ValidationError' as const;

/** Options of {@link validate}. */
export interface ValidateOptions {
  /** An extra rule: return a reason to reject, or null to accept. Runs after the built-in checks. @default none */
  check?: (record: AnyRecord) => string | null;
  /** Clock for the dead letter's time when the rejected record has no usable event time. @default asyncScheduler */
  scheduler?: SchedulerLike;
}

const ORIGIN = /^(.+\.(?:zip|csv))[:#](\d+)$/;

type SchemaCheck = (record: Record<string, unknown>) => string | null;

/** The test for "v is not in the enum": direct comparisons for small sets, a Set lookup for larger ones. */
function enumTest(values: readonly string[], index: number): string {
  return values.length <= 6 ? values.map((value) => `v !== ${JSON.stringify(value)}`).join(' && ') : `!e[${index}].has(v)`;
}

const DESCRIBE = (value: unknown): string => (Array.isArray(value) ? 'an array' : String(value));

/**
 * Compiles the field table of a kind into one function with a fixed property access per field (fast,
 * monomorphic): present, typed, non-null unless nullable, enum member. Field names come from the schema
 * tables, never from input.
 */
function compileSchemaCheck(fields: readonly FieldSpec[]): SchemaCheck {
  const enums = fields.map((f) => (f.enum === undefined ? undefined : new Set<string>(f.enum)));
  const body = fields.map((field, i) => {
    const name = JSON.stringify(field.name);
    const problem = (text: string): string => `return ${JSON.stringify(`${field.name} `)} + ${text};`;
    const nullCheck = field.nullable === true ? 'if (v !== null) {' : `if (v === null) return ${JSON.stringify(`${field.name} is null`)}; {`;
    let check: string;
    switch (field.type) {
      case 'long': case 'int': check = `if (!Number.isSafeInteger(v)) ${problem("'is not an integer: ' + d(v)")}`; break;
      case 'double': check = `if (typeof v !== 'number' || !Number.isFinite(v)) ${problem("'is not a finite number: ' + d(v)")}`; break;
      case 'boolean': check = `if (typeof v !== 'boolean') ${problem("'is not a boolean: ' + d(v)")}`; break;
      case 'string':
        check = `if (typeof v !== 'string') ${problem("'is not a string: ' + d(v)")}`
          + (field.enum === undefined ? '' : ` if (${enumTest(field.enum, i)}) ${problem(JSON.stringify(`is not one of ${field.enum.join('|')}: `) + ' + v')}`);
        break;
      case 'doubleArray':
        check = `if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) ${problem("'is not an array of finite numbers'")}`;
        break;
    }
    return `v = r[${name}]; ${nullCheck} ${check} }`;
  });
  return new Function('e', 'd', `return function (r) { let v; ${body.join('\n')} return null; };`)(enums, DESCRIBE) as SchemaCheck;
}

const SCHEMA_CHECKS = new Map<string, SchemaCheck>(
  Object.values(KINDS).map((spec) => [spec.kind, compileSchemaCheck(spec.fields)] as const),
);

/** Checks every field of the kind's table: present, typed, non-null unless nullable, enums respected. */
export function schemaProblem(record: AnyRecord): string | null {
  const kind = (record as { kind?: unknown }).kind;
  const check = typeof kind === 'string' ? SCHEMA_CHECKS.get(kind) : undefined;
  if (check === undefined) return `unknown kind ${JSON.stringify(kind)}`;
  return check(record as unknown as Record<string, unknown>);
}

class ValidateProcessor implements RecordProcessor {
  private readonly scheduler: SchedulerLike;

  constructor(private readonly options: ValidateOptions) {
    this.scheduler = options.scheduler ?? asyncScheduler;
  }

  push(record: AnyRecord, emit: Emit): void {
    if (record.kind === 'deadLetter' || record.kind === 'gap') {
      emit(record);
      return;
    }
    const reason = schemaProblem(record) ?? sanityProblem(record) ?? this.options.check?.(record) ?? null;
    emit(reason === null ? record : this.deadLetter(record, reason));
  }

  flush(): void {}

  private deadLetter(record: AnyRecord, reason: string): DeadLetterRecord {
    const r = record as unknown as Record<string, unknown>;
    const ingestId = typeof r.ingestId === 'string' ? r.ingestId : '';
    const origin = ORIGIN.exec(ingestId);
    const eventTimeUs = Number.isSafeInteger(r.eventTimeUs) ? (r.eventTimeUs as number) : Math.floor(this.scheduler.now()) * US_PER_MS;
    return {
      kind: 'deadLetter', exchange: 'binance',
      market: (MARKETS as readonly unknown[]).includes(r.market) ? (r.market as Market) : 'spot',
      symbol: typeof r.symbol === 'string' ? r.symbol : '',
      eventTimeUs,
      source: (SOURCES as readonly unknown[]).includes(r.source) ? (r.source as Source) : 'archive',
      receiveTimeUs: Number.isSafeInteger(r.receiveTimeUs) ? (r.receiveTimeUs as number) : null,
      ingestId,
      version: Number.isSafeInteger(r.version) ? (r.version as number) : 0,
      errorName: VALIDATION_ERROR, reason, raw: safeJson(record),
      originFile: origin === null ? null : origin[1],
      originLine: origin === null ? null : Number(origin[2]),
    };
  }
}

function safeJson(record: AnyRecord): string {
  try {
    return JSON.stringify(record) ?? String(record);
  } catch {
    return String(record);
  }
}

/**
 * Validates records against their kind's field table (every field present, typed, non-null unless nullable,
 * enums respected) and market sanity rules (see validate-rules.ts: low ≤ open, close ≤ high; volumes and
 * counts ≥ 0; aligned kline windows; first ≤ last trade id). Order is not an error: ids out of order pass (a
 * repeat is `dedupe`'s business, and the archive parser's within a file).
 * A failing record is replaced in the output by a `deadLetter` record: `errorName` `ValidationError`,
 * `reason` the first failed rule, `raw` the record as JSON, market/symbol/source/ingestId/version copied when
 * valid, `eventTimeUs` the record's own event time when it is an integer (so a rerun produces the same
 * dead letter), else the scheduler's now; `originFile`/`originLine` parsed from an ingestId of the form
 * `<key>.zip:<line>` or `<key>.csv#<line>`, else null. `gap` and `deadLetter` records pass through unchecked.
 *
 * Memory: none per record or stream (the checks look at one record at a time).
 */
export function validate(options: ValidateOptions = {}): MonoTypeOperatorFunction<AnyRecord> {
  return processRecords(() => new ValidateProcessor(options));
}

/**
 * {@link validate} over an array, synchronously: the same records out (dead letters in place of the rejected
 * ones, same order), without an observable per call — for pipelines that validate a whole batch at once.
 */
export function validateRecords(records: readonly AnyRecord[], options: ValidateOptions = {}): AnyRecord[] {
  return recordValidator(options)(records);
}

/**
 * {@link validateRecords} as one reusable function, as one subscription of the operator: for a stream read a
 * run of records at a time (a file parsed a few thousand rows at a time).
 */
export function recordValidator(options: ValidateOptions = {}): (records: readonly AnyRecord[]) => AnyRecord[] {
  const processor = new ValidateProcessor(options);
  return (records) => {
    const out: AnyRecord[] = [];
    const emit: Emit = (record) => { out.push(record); };
    for (let i = 0; i < records.length; i++) processor.push(records[i], emit);
    return out;
  };
}

/**
 * The output of {@link validateRecords} (or a {@link recordValidator}) over data records, split in one pass:
 * the accepted records (`out` itself when none was rejected) and the dead letters that replaced the rejected ones.
 */
export function splitRejected(out: readonly AnyRecord[]): { kept: readonly AnyRecord[]; rejected: readonly AnyRecord[] } {
  let kept: AnyRecord[] | null = null;
  const rejected: AnyRecord[] = [];
  for (let i = 0; i < out.length; i++) {
    const record = out[i];
    if (record.kind === 'deadLetter') {
      kept ??= out.slice(0, i);
      rejected.push(record);
    } else if (kept !== null) {
      kept.push(record);
    }
  }
  return { kept: kept ?? out, rejected };
}
