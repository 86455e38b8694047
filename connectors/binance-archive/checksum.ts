/**
 * `.CHECKSUM` companions: `<64-hex sha256><two spaces><zip file name>` in the `sha256sum` format, with or
 * without a trailing newline (docs/BINANCE.md §1.2). Parsing takes the first whitespace-separated token.
 */
import { createHash, type Hash } from 'node:crypto';
import { ConnectorError } from '../../schemas/errors.js';
import { excerpt } from './excerpt.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * The sha256 (lower-case hex) in a `.CHECKSUM` file's text; otherwise throws a retriable {@link ConnectorError}
 * (an error page served in its place is usually transient).
 */
export function parseChecksumText(text: string, file?: string): string {
  const token = text.trim().split(/\s+/, 1)[0]?.toLowerCase() ?? '';
  if (!SHA256_HEX.test(token)) {
    throw new ConnectorError(`${file ?? 'CHECKSUM'}: not a sha256sum line (got ${excerpt(text)})`, { file }, { retriable: true });
  }
  return token;
}

/** The key of a file's checksum companion. */
export function checksumKey(key: string): string {
  return `${key}.CHECKSUM`;
}

/** A fresh incremental sha256. */
export function newSha256(): Hash {
  return createHash('sha256');
}
