/**
 * Serves an archive directory over HTTP on 127.0.0.1 (random port) like data.binance.vision: `GET /<key>`
 * returns the object with Content-Length and Last-Modified; `GET /?prefix=…&delimiter=/&marker=…` returns an
 * S3 ListObjects v1 XML page (`pageSize` entries, NextMarker when truncated). Faults per key, each for the
 * first `times` requests (default: always): `404`, `500`, `stall` (headers then silence), `html` (a 200
 * error page), `corrupt` (flipped bytes), `truncate` (half the body).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';

/** A fault injected for a key. */
export interface Fault {
  readonly kind: '404' | '500' | 'stall' | 'html' | 'corrupt' | 'truncate';
  /** For how many requests. @default Infinity */
  readonly times?: number;
}

/** A running server. */
export interface ArchiveServer {
  readonly url: string;
  /** Request paths (with query) in arrival order. */
  readonly requests: string[];
  /** Sets or clears the fault of a key. */
  fault(key: string, fault: Fault | null): void;
  close(): Promise<void>;
}

const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

async function listingXml(root: string, prefix: string, marker: string, pageSize: number): Promise<string> {
  const folder = prefix.slice(0, prefix.lastIndexOf('/') + 1);
  let names: string[] = [];
  try { names = await readdir(join(root, folder)); } catch { names = []; }
  const entries: { key: string; dir: boolean; size: number; modified: Date }[] = [];
  for (const name of names) {
    const key = folder + name;
    if (!key.startsWith(prefix)) continue;
    const info = await stat(join(root, key));
    entries.push({ key: info.isDirectory() ? `${key}/` : key, dir: info.isDirectory(), size: info.size, modified: info.mtime });
  }
  entries.sort((a, b) => (a.key < b.key ? -1 : 1));
  const after = entries.filter((e) => marker === '' || e.key > marker);
  const page = after.slice(0, pageSize);
  const truncated = after.length > page.length;
  const body = page.map((e) => (e.dir
    ? `<CommonPrefixes><Prefix>${escapeXml(e.key)}</Prefix></CommonPrefixes>`
    : `<Contents><Key>${escapeXml(e.key)}</Key><LastModified>${e.modified.toISOString()}</LastModified><ETag>"x"</ETag><Size>${e.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`)).join('');
  const next = truncated ? `<NextMarker>${escapeXml(page.at(-1)?.key ?? '')}</NextMarker>` : '';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>data.binance.vision</Name><Prefix>${escapeXml(prefix)}</Prefix><Marker>${escapeXml(marker)}</Marker><MaxKeys>${pageSize}</MaxKeys><Delimiter>/</Delimiter><IsTruncated>${truncated}</IsTruncated>${next}${body}</ListBucketResult>`;
}

/** Starts a server for `root`. */
export async function startArchiveServer(root: string, options: { pageSize?: number } = {}): Promise<ArchiveServer> {
  const base = resolve(root);
  const faults = new Map<string, { fault: Fault; used: number }>();
  const requests: string[] = [];
  const stalled = new Set<ServerResponse>();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url.pathname + url.search);
    if (url.pathname === '/' && url.searchParams.has('prefix')) {
      const xml = await listingXml(base, url.searchParams.get('prefix') ?? '', url.searchParams.get('marker') ?? '', options.pageSize ?? 1000);
      res.writeHead(200, { 'content-type': 'application/xml' }).end(xml);
      return;
    }
    const key = decodeURIComponent(url.pathname.slice(1));
    const entry = faults.get(key);
    const fault = entry !== undefined && entry.used < (entry.fault.times ?? Infinity) ? entry.fault : null;
    if (entry !== undefined && fault !== null) entry.used++;
    if (fault?.kind === '404') { res.writeHead(404).end('<Error><Code>NoSuchKey</Code></Error>'); return; }
    if (fault?.kind === '500') { res.writeHead(500).end('internal error'); return; }
    if (fault?.kind === 'html') { res.writeHead(200, { 'content-type': 'text/html' }).end('<!DOCTYPE html><html><body>502 Bad Gateway</body></html>'); return; }
    const path = resolve(base, key);
    let bytes: Buffer;
    let modified: Date;
    try {
      if (!path.startsWith(base)) throw new Error('outside');
      bytes = await readFile(path);
      modified = (await stat(path)).mtime;
    } catch {
      res.writeHead(404).end('<Error><Code>NoSuchKey</Code></Error>');
      return;
    }
    const headers = { 'content-type': 'application/zip', 'content-length': String(bytes.length), 'last-modified': modified.toUTCString() };
    if (fault?.kind === 'stall') { res.writeHead(200, headers); res.write(bytes.subarray(0, Math.min(10, bytes.length))); stalled.add(res); return; }
    if (fault?.kind === 'corrupt') { bytes = Buffer.from(bytes); for (let i = 40; i < bytes.length - 30; i += 97) bytes[i] = (bytes[i] ?? 0) ^ 0xff; }
    if (fault?.kind === 'truncate') { bytes = bytes.subarray(0, Math.floor(bytes.length / 2)); headers['content-length'] = String(bytes.length); }
    res.writeHead(200, headers).end(bytes);
  };
  const server: Server = createServer((req, res) => { handle(req, res).catch(() => res.writeHead(500).end()); });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    fault(key, fault) { if (fault === null) faults.delete(key); else faults.set(key, { fault, used: 0 }); },
    close: () => new Promise<void>((done) => {
      for (const res of stalled) res.destroy();
      server.closeAllConnections();
      server.close(() => done());
    }),
  };
}
