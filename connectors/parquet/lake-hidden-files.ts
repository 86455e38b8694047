/**
 * The lake's hidden files: a writer's staged parts `.<part>.<writer>.staged`, local temp files
 * `.<writer>.<random>.tmp` and parts a local compaction is removing `.<part>.<writer>.retired` (moved aside,
 * checked, then deleted or put back: local-lake-store.ts `removeIfUnchanged`), both named for the writer (lake-writer.ts) so that a later run can tell a live
 * writer's file from one a killed run left; and the names of earlier versions, which carry no writer
 * (`.<part>.staged`, `.<12 hex>.tmp`). Readers never list any of them (a leading dot, no `.parquet` end).
 */

/** What a hidden file name says. */
export interface HiddenFile {
  readonly kind: 'staged' | 'temp' | 'retired';
  /** The writer that made it; null for names of earlier versions. */
  readonly writer: string | null;
  /** The visible part name a staged file publishes to (a retired file was moved from). */
  readonly part?: string;
}

/** The staged name of part `name` by `writer`. */
export function stagedNameOf(name: string, writer: string): string {
  return `.${name}.${writer}.staged`;
}

/** The name part `name` has while `writer` removes it (local lakes). */
export function retiredNameOf(name: string, writer: string): string {
  return `.${name}.${writer}.retired`;
}

/** A temp file name of `writer` (`random`: hex). */
export function tempNameOf(writer: string, random: string): string {
  return `.${writer}.${random}.tmp`;
}

const WRITER = '[0-9a-f]{16}';
const STAGED = new RegExp(`^\\.(.+\\.parquet)\\.(${WRITER})\\.staged$`);
const RETIRED = new RegExp(`^\\.(.+\\.parquet)\\.(${WRITER})\\.retired$`);
const TEMP = new RegExp(`^\\.(${WRITER})\\.[0-9a-f]+\\.tmp$`);
const OLD_STAGED = /^\.(.+\.parquet)\.staged$/;
const OLD_TEMP = /^\.[0-9a-f]+\.tmp$/;

/** The hidden file a name is, or null for any other name (a visible part, a foreign file). */
export function hiddenFileOf(name: string): HiddenFile | null {
  let match = STAGED.exec(name);
  if (match !== null) return { kind: 'staged', part: match[1], writer: match[2] };
  match = RETIRED.exec(name);
  if (match !== null) return { kind: 'retired', part: match[1], writer: match[2] };
  match = TEMP.exec(name);
  if (match !== null) return { kind: 'temp', writer: match[1] };
  match = OLD_STAGED.exec(name);
  if (match !== null) return { kind: 'staged', part: match[1], writer: null };
  return OLD_TEMP.test(name) ? { kind: 'temp', writer: null } : null;
}
