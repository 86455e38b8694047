/**
 * A streaming zip writer for test archives: one or more members, deflated with node:zlib, CRC-32 computed on
 * the fly, sizes in a data descriptor (flag bit 3) like many real-world writers. Also writes `.CHECKSUM`
 * companions in both real forms (with and without a trailing newline).
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { once } from 'node:events';
import { createDeflateRaw, crc32 } from 'node:zlib';

/** One member: a name and its content as chunks of text or bytes. */
export interface ZipMember {
  readonly name: string;
  readonly content: AsyncIterable<string | Buffer> | Iterable<string | Buffer>;
}

/** Writes a zip with `members` to `path`; returns its sha256 and size. */
export async function writeZip(path: string, members: readonly ZipMember[]): Promise<{ sha256: string; size: number }> {
  await mkdir(dirname(path), { recursive: true });
  const out = createWriteStream(path);
  const hash = createHash('sha256');
  let offset = 0;
  const write = async (buffer: Buffer): Promise<void> => {
    hash.update(buffer);
    offset += buffer.length;
    if (!out.write(buffer)) await once(out, 'drain');
  };
  const central: Buffer[] = [];
  for (const member of members) {
    const name = Buffer.from(member.name, 'utf8');
    const localOffset = offset;
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0); header.writeUInt16LE(20, 4); header.writeUInt16LE(0x0008, 6);
    header.writeUInt16LE(8, 8); header.writeUInt32LE(0x00210000, 10); header.writeUInt16LE(name.length, 26);
    await write(Buffer.concat([header, name]));
    let crc = 0; let size = 0; let compressed = 0;
    const deflate = createDeflateRaw({ level: 6 });
    const pump = (async () => { for await (const chunk of deflate) { compressed += (chunk as Buffer).length; await write(chunk as Buffer); } })();
    for await (const piece of member.content) {
      const chunk = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
      crc = crc32(chunk, crc); size += chunk.length;
      if (!deflate.write(chunk)) await once(deflate, 'drain');
    }
    deflate.end();
    await pump;
    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(0x08074b50, 0); descriptor.writeUInt32LE(crc >>> 0, 4);
    descriptor.writeUInt32LE(compressed, 8); descriptor.writeUInt32LE(size, 12);
    await write(descriptor);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0); entry.writeUInt16LE(20, 4); entry.writeUInt16LE(20, 6); entry.writeUInt16LE(0x0008, 8);
    entry.writeUInt16LE(8, 10); entry.writeUInt32LE(0x00210000, 12); entry.writeUInt32LE(crc >>> 0, 16);
    entry.writeUInt32LE(compressed, 20); entry.writeUInt32LE(size, 24); entry.writeUInt16LE(name.length, 28);
    entry.writeUInt32LE(localOffset, 42);
    central.push(entry, name);
  }
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0); eocd.writeUInt16LE(members.length, 8); eocd.writeUInt16LE(members.length, 10);
  eocd.writeUInt32LE(cd.length, 12); eocd.writeUInt32LE(offset, 16);
  await write(Buffer.concat([cd, eocd]));
  out.end();
  await once(out, 'finish');
  return { sha256: hash.digest('hex'), size: offset };
}

/** Writes `<zip>.CHECKSUM` as `sha256sum` prints it, with or without the trailing newline. */
export async function writeChecksum(zipPath: string, sha256: string, trailingNewline: boolean): Promise<void> {
  await writeFile(`${zipPath}.CHECKSUM`, `${sha256}  ${basename(zipPath)}${trailingNewline ? '\n' : ''}`);
}

/** Flips bytes in the last fifth of the compressed member (the central directory stays intact); the CHECKSUM matches. */
export async function damageDeflate(g: { readonly path: string }): Promise<void> {
  const bytes = await readFile(g.path);
  const directory = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  for (let i = Math.floor(directory * 0.8); i < directory - 20; i += 50) bytes[i] = (bytes[i] ?? 0) ^ 0xff;
  await writeFile(g.path, bytes);
  await writeChecksum(g.path, createHash('sha256').update(bytes).digest('hex'), true);
}

/** Changes the stored CRC-32 (local header and central directory): only a check at the member's end can tell. */
export async function breakCrc(g: { readonly path: string }): Promise<void> {
  const bytes = await readFile(g.path);
  const central = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  bytes.writeUInt32LE(bytes.readUInt32LE(14) ^ 0x5a5a5a5a, 14);
  bytes.writeUInt32LE(bytes.readUInt32LE(central + 16) ^ 0x5a5a5a5a, central + 16);
  await writeFile(g.path, bytes);
  await writeChecksum(g.path, createHash('sha256').update(bytes).digest('hex'), true);
}
