/**
 * Where lake files go: a local directory (local-lake-store.ts: a hidden temp file, fsync, rename — readers never
 * see a partial file) or an S3 prefix (s3-lake-store.ts: a completed upload is the only way an object appears).
 * Both replace an existing file of the same name, which is what makes retried batches idempotent.
 *
 * Both stage too: a complete file is written under a hidden name beside its own, `.<name>.<writer>.staged`
 * (no `*.parquet` glob matches it, pyarrow, Spark and Hive skip names starting with a dot, and the writer id
 * keeps two writers of one unit from replacing each other's staged files), then published (a rename; on S3 a
 * CopyObject and a DeleteObject) or discarded. That lets a whole input (an archive file) appear only once it was
 * verified, without holding its rows in memory (connectors/sink.ts `Stage`).
 *
 * Compaction (compact-lake-dir.ts) reads visible files through `localCopy` and removes them with
 * `removeIfUnchanged`: a file replaced after it was read (a writer republishing the same name) stays.
 *
 * `control` holds the small objects of lake-writer.ts and lake-lease.ts under `_manifest/` (no reader globs it):
 * created exclusively (local: a hard link, which fails when the name exists; S3: PutObject `If-None-Match: *`).
 * lake-store-for.ts picks the store for a root.
 */

/** A complete file written under its staged name, not yet visible. */
export interface StagedFile {
  /** The file's path relative to the lake root (its visible name). */
  readonly relativePath: string;
  /** Where it is now (a full path or `s3://` URL). */
  readonly staged: string;
  /** Where `publish` moves it. */
  readonly path: string;
}

/** A file directly in a lake directory. */
export interface LakeEntry {
  readonly name: string;
  /** Milliseconds since it was last written (by the store's clock: local mtime, S3 LastModified). */
  readonly ageMs: number;
}

/** A visible file as a local file DuckDB can read, with the tag it had when read. */
export interface LocalCopy {
  /** The file itself (local lake) or its download (S3). */
  readonly path: string;
  /** Changes whenever the file is replaced: local inode, size and mtime; S3 ETag. Taken before the bytes are read. */
  readonly tag: string;
}

/** Small objects beside the data (`_manifest/…`), for leases and writer heartbeats. */
export interface LakeControl {
  /** Creates the object unless it exists; true when this call created it. */
  create(relativePath: string, text: string): Promise<boolean>;
  /** The object's text, or undefined when there is none. */
  read(relativePath: string): Promise<string | undefined>;
  /** Writes the object, replacing it. */
  put(relativePath: string, text: string): Promise<void>;
  /** Removes the object (gone already is fine). */
  remove(relativePath: string): Promise<void>;
}

/** Writes, stages and lists lake files at paths relative to the lake root. `writer` is the writing sink's id (lake-writer.ts). */
export interface LakeStore {
  /** The root as given (`/abs/dir` or `s3://bucket/prefix`). */
  readonly root: string;
  /** Writes a visible file, replacing one of the same name; returns its full location. */
  write(relativePath: string, bytes: Uint8Array, writer: string, signal?: AbortSignal): Promise<string>;
  /** Writes a file under its staged name (see the module doc), replacing a staged file of the same name. */
  stage(relativePath: string, bytes: Uint8Array, writer: string, signal?: AbortSignal): Promise<StagedFile>;
  /** Makes a staged file visible at its path, replacing a file there; done already is fine (a retried publish). */
  publish(file: StagedFile): Promise<string>;
  /** Removes a staged file (gone already is fine). */
  discard(file: StagedFile): Promise<void>;
  /** The files directly in a directory (none when it does not exist). */
  list(relativeDir: string): Promise<LakeEntry[]>;
  /** The subdirectory names directly in a directory (none when it does not exist). */
  listDirs(relativeDir: string): Promise<string[]>;
  /** A visible file as a local file (S3: downloaded into `scratchDir`), or undefined when it is gone. */
  localCopy(relativePath: string, scratchDir: string, signal?: AbortSignal): Promise<LocalCopy | undefined>;
  /**
   * Removes a visible file only while its tag is still `tag` (see {@link LocalCopy}); false when it was replaced
   * meanwhile (then it stays). Gone already counts as removed. `writer` names the hidden file a local removal
   * passes through (lake-hidden-files.ts `retired`).
   */
  removeIfUnchanged(relativePath: string, tag: string, writer: string): Promise<boolean>;
  /** Puts retired file `name` (lake-hidden-files.ts) of a directory back under its part name unless that name exists, then removes it. */
  restoreRetired(relativeDir: string, name: string): Promise<void>;
  /** Removes files of a directory by name (gone already is fine). */
  remove(relativeDir: string, names: readonly string[]): Promise<void>;
  readonly control: LakeControl;
}
