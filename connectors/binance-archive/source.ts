/**
 * One interface over the places archives live: data.binance.vision or any HTTP mirror with its layout
 * (source-http.ts), a local directory (source-dir.ts), or an S3 bucket (source-s3.ts). A missing object
 * is a `NotFoundUpstreamError`; transient failures are retriable `ConnectorError`s.
 */
import type { ListedObject } from './listing.js';

/** An object opened for streaming. */
export interface SourceObject {
  /** The bytes, in order. Consuming it to the end or breaking out releases the connection. */
  readonly body: AsyncIterable<Buffer>;
  /** Content length when known. */
  readonly size: number | null;
  /** Last-Modified in ms since the epoch when known. */
  readonly lastModifiedMs: number | null;
}

/** A folder's listing: objects directly under it and sub-folders. */
export interface SourceListing {
  readonly objects: readonly ListedObject[];
  readonly prefixes: readonly string[];
}

/** Where archive objects are read from. */
export interface ArchiveSource {
  /** For messages: the base URL, directory or bucket. */
  readonly description: string;
  /** Reads a small object (a `.CHECKSUM`) as text. */
  readText(key: string, signal?: AbortSignal): Promise<string>;
  /** Opens an object for streaming. */
  open(key: string, signal?: AbortSignal): Promise<SourceObject>;
  /** Lists one folder level under `prefix` (which ends in `/`), all pages. */
  list(prefix: string, signal?: AbortSignal): Promise<SourceListing>;
  /** For local directories: the file path of a key, so it is read in place instead of copied. */
  localPath?(key: string): string;
}
