/**
 * A small zip reader for a local file: reads the central directory (zip64 included) from the tail, then
 * streams one member through node:zlib (native, on libuv's threads) while checking its CRC-32 and size. A
 * deflated member is inflated as the body of a gzip stream (a 10-byte header before it, the central
 * directory's CRC-32 and size as the trailer after it), so zlib computes and checks the CRC-32 on its own
 * thread as it inflates, instead of a `crc32` call per chunk on the parsing thread. Memory is one read buffer plus zlib's window, whatever the member's size. A file without an
 * end-of-central-directory record (truncated download) or with inconsistent headers is rejected before a
 * single row is read; a CRC or size mismatch fails the stream at its end.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { createGunzip, crc32 } from 'node:zlib';
import { ConnectorError } from '../../schemas/errors.js';

/** One member of a zip file, from its central directory. */
export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflate. */
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
}

const EOCD_SIGNATURE = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const EOCD64_LOCATOR = 0x07064b50;
const EOCD64 = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX = 0xffffffff;

/** A structural problem of a zip file; never retried (the bytes were verified or are local). */
export function zipError(file: string, reason: string): ConnectorError {
  return new ConnectorError(`${file}: corrupt or truncated zip: ${reason}`, { file }, { retriable: false });
}

async function readAt(path: string, position: number, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, position);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Reads the central directory of the zip at `path`. */
export async function readZipDirectory(path: string, fileSize: number, label = path): Promise<ZipEntry[]> {
  const tailLength = Math.min(fileSize, 65_557);
  const tail = await readAt(path, fileSize - tailLength, tailLength);
  const at = tail.lastIndexOf(EOCD_SIGNATURE);
  if (at < 0 || at + 22 > tail.length) throw zipError(label, 'no end-of-central-directory record');
  let count = tail.readUInt16LE(at + 10);
  let cdSize = tail.readUInt32LE(at + 12);
  let cdOffset = tail.readUInt32LE(at + 16);
  if (cdOffset === MAX || count === 0xffff || cdSize === MAX) {
    const loc = at - 20;
    if (loc < 0 || tail.readUInt32LE(loc) !== EOCD64_LOCATOR) throw zipError(label, 'zip64 locator missing');
    const eocd64 = await readAt(path, Number(tail.readBigUInt64LE(loc + 8)), 56);
    if (eocd64.length < 56 || eocd64.readUInt32LE(0) !== EOCD64) throw zipError(label, 'zip64 record missing');
    count = Number(eocd64.readBigUInt64LE(32));
    cdSize = Number(eocd64.readBigUInt64LE(40));
    cdOffset = Number(eocd64.readBigUInt64LE(48));
  }
  if (cdOffset + cdSize > fileSize) throw zipError(label, 'central directory lies beyond the end of the file');
  return parseCentralDirectory(await readAt(path, cdOffset, cdSize), count, label);
}

function parseCentralDirectory(cd: Buffer, count: number, label: string): ZipEntry[] {
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL) throw zipError(label, `bad central directory entry ${i}`);
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    const name = cd.toString('utf8', p + 46, p + 46 + nameLength);
    const sizes = [cd.readUInt32LE(p + 24), cd.readUInt32LE(p + 20), cd.readUInt32LE(p + 42)];
    readZip64Extra(cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength), sizes);
    entries.push({
      name, method: cd.readUInt16LE(p + 10), crc32: cd.readUInt32LE(p + 16),
      uncompressedSize: sizes[0] ?? 0, compressedSize: sizes[1] ?? 0, localHeaderOffset: sizes[2] ?? 0,
    });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Replaces 0xFFFFFFFF placeholders (uncompressed, compressed, offset) with the zip64 extra field's values. */
function readZip64Extra(extra: Buffer, sizes: number[]): void {
  for (let p = 0; p + 4 <= extra.length;) {
    const id = extra.readUInt16LE(p);
    const length = extra.readUInt16LE(p + 2);
    if (id === 0x0001) {
      let q = p + 4;
      for (let i = 0; i < sizes.length; i++) {
        if (sizes[i] === MAX && q + 8 <= p + 4 + length) { sizes[i] = Number(extra.readBigUInt64LE(q)); q += 8; }
      }
    }
    p += 4 + length;
  }
}

/**
 * The CSV member of an archive zip: `<expected>` if present, else the only `.csv` member; `__MACOSX/` and
 * `._*` resource forks are ignored. Throws when there is none (or several and none matches).
 */
export function selectCsvEntry(entries: readonly ZipEntry[], expectedName: string, label: string): ZipEntry {
  const csv = entries.filter((e) => !e.name.startsWith('__MACOSX/') && !baseName(e.name).startsWith('._') && e.name.toLowerCase().endsWith('.csv'));
  const exact = csv.find((e) => baseName(e.name) === expectedName);
  if (exact !== undefined) return exact;
  if (csv.length === 1 && csv[0] !== undefined) return csv[0];
  const members = entries.map((e) => e.name).join(', ') || 'none';
  throw new ConnectorError(`${label}: zip holds no ${csv.length > 1 ? 'unambiguous ' : ''}CSV member ${expectedName} (members: ${members})`, { file: label }, { retriable: false });
}

function baseName(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

/** Streams the uncompressed bytes of `entry`, failing at the end on a CRC-32 or size mismatch. */
export async function openZipEntry(path: string, entry: ZipEntry, label = path): Promise<Readable> {
  const header = await readAt(path, entry.localHeaderOffset, 30);
  if (header.length < 30 || header.readUInt32LE(0) !== LOCAL) throw zipError(label, `no local header for ${entry.name}`);
  const start = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  if (entry.method !== 0 && entry.method !== 8) throw zipError(label, `unsupported compression method ${entry.method}`);
  if (entry.compressedSize === 0 || entry.method === 0) {
    const check = checkCrc(entry, label, true);
    if (entry.compressedSize === 0) return Readable.from([]).pipe(check);
    const stored = createReadStream(path, { start, end: start + entry.compressedSize - 1, highWaterMark: 1 << 20 });
    check.once('close', () => stored.destroy()); // a reader that stops early closes the file too (pipe does not)
    return stored.pipe(check);
  }
  const raw = createReadStream(path, { start, end: start + entry.compressedSize - 1, highWaterMark: 1 << 20 });
  const check = checkCrc(entry, label, false);
  const inflate = createGunzip({ chunkSize: 1 << 18 });
  inflate.write(GZIP_HEADER);
  raw.on('error', (error) => inflate.destroy(error));
  raw.on('end', () => inflate.end(gzipTrailer(entry)));
  inflate.on('error', (error) => check.destroy(zipError(label, inflateFailure(entry, error))));
  raw.pipe(inflate, { end: false });
  // A reader that stops early (destroys the stream it got) closes the file and the inflater too: pipe does not.
  check.once('close', () => { raw.destroy(); inflate.destroy(); });
  return inflate.pipe(check);
}

/** A gzip member header: deflate, no flags, no time, no extra fields (RFC 1952). */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);

/** The gzip trailer zlib checks at the end of the member: the CRC-32 and size (mod 2^32) the zip stored. */
function gzipTrailer(entry: ZipEntry): Buffer {
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(entry.crc32 >>> 0, 0);
  trailer.writeUInt32LE(entry.uncompressedSize % 0x100000000, 4);
  return trailer;
}

/** zlib's complaint in the zip's terms: its data and length checks are the member's CRC-32 and size. */
function inflateFailure(entry: ZipEntry, error: Error): string {
  if (/incorrect data check/.test(error.message)) return `${entry.name}: CRC-32 mismatch`;
  if (/incorrect length check/.test(error.message)) return `${entry.name}: inflated size differs from the ${entry.uncompressedSize} bytes expected`;
  return `deflate stream: ${error.message}`;
}

/** Counts the member's bytes against its size; computes the CRC-32 too where zlib does not (stored members). */
function checkCrc(entry: ZipEntry, label: string, computeCrc: boolean): Transform {
  let crc = 0;
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (computeCrc) crc = crc32(chunk, crc);
      size += chunk.length;
      callback(null, chunk);
    },
    flush(callback) {
      if (size !== entry.uncompressedSize) return callback(zipError(label, `${entry.name}: ${size} bytes inflated, ${entry.uncompressedSize} expected`));
      if (computeCrc && crc >>> 0 !== entry.crc32 >>> 0) return callback(zipError(label, `${entry.name}: CRC-32 mismatch`));
      callback();
    },
  });
}
