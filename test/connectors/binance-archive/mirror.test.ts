import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { lastValueFrom, toArray } from 'rxjs';
import { S3Client } from '@aws-sdk/client-s3';
import { mirrorArchive } from '../../../connectors/binance-archive/mirror.js';
import { resolveAvailability } from '../../../connectors/binance-archive/availability.js';
import { httpSource } from '../../../connectors/binance-archive/source-http.js';
import { planArchiveFiles, parseTypeRequests } from '../../../connectors/binance-archive/plan.js';
import { generateArchiveMirror, type GeneratedFile } from '../../support/archive-mirror.js';
import { startArchiveServer, type ArchiveServer } from '../../support/archive-server.js';
import { removeTempDirs, tempDir } from '../../pipelines/backfill-support.js';

after(removeTempDirs);

/** A real client whose `send` is an in-memory stand-in for the operations the mirror uses (HEAD, single PUT, DELETE). */
function fakeS3(): { client: S3Client; objects: Map<string, { body: Buffer; metadata: Record<string, string> }>; puts: string[] } {
  const objects = new Map<string, { body: Buffer; metadata: Record<string, string> }>();
  const puts: string[] = [];
  const toBuffer = async (body: unknown): Promise<Buffer> => {
    if (typeof body === 'string') return Buffer.from(body);
    if (body instanceof Uint8Array) return Buffer.from(body);
    const parts: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Buffer>) parts.push(Buffer.from(chunk));
    return Buffer.concat(parts);
  };
  const send = async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    const key = command.input.Key as string;
    switch (command.constructor.name) {
      case 'HeadObjectCommand': {
        const o = objects.get(key);
        if (o === undefined) throw Object.assign(new Error('NotFound'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });
        return { Metadata: o.metadata, ContentLength: o.body.length };
      }
      case 'PutObjectCommand':
        puts.push(key);
        objects.set(key, { body: await toBuffer(command.input.Body), metadata: (command.input.Metadata as Record<string, string>) ?? {} });
        return { ETag: '"x"' };
      case 'DeleteObjectCommand': objects.delete(key); return {};
      default: throw new Error(`fake S3 does not implement ${command.constructor.name}`);
    }
  };
  const client = new S3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', forcePathStyle: true, credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
  (client as unknown as { send: typeof send }).send = send;
  return { client, objects, puts };
}

describe('mirrorArchive', () => {
  let dir = '';
  let server: ArchiveServer;
  let generated: GeneratedFile[] = [];
  const request = { markets: ['spot'] as const, symbols: ['BTCUSDT'], fromDay: '2025-07-01', toDay: '2025-07-02' };
  before(async () => {
    dir = await tempDir('mirror-src');
    generated = await generateArchiveMirror(dir, { ...request, markets: ['spot'], types: ['klines:1h'] });
    server = await startArchiveServer(dir);
  });
  after(async () => { await server.close(); await rm(dir, { recursive: true, force: true }); });

  const run = async (s3: ReturnType<typeof fakeS3>) => {
    const source = httpSource({ baseUrl: server.url });
    const files = planArchiveFiles({ ...request, markets: ['spot'], types: parseTypeRequests(['klines:1h']) });
    const plan = await resolveAvailability(files, source);
    return lastValueFrom(mirrorArchive({ files: plan.files, source, target: { client: s3.client, bucket: 'raw', prefix: 'binance' }, retry: { baseDelayMs: 1 } }).pipe(toArray()));
  };

  it('copies each zip byte for byte with its sha256 and CHECKSUM, then skips them on a rerun', async () => {
    const s3 = fakeS3();
    const first = await run(s3);
    assert.deepEqual(first.map((o) => o.status), ['copied', 'copied'], JSON.stringify(first));
    for (const g of generated) {
      const stored = s3.objects.get(`binance/${g.key}`);
      assert.equal(stored?.metadata.sha256, g.sha256);
      assert.ok(s3.objects.has(`binance/${g.key}.CHECKSUM`));
    }
    const puts = s3.puts.length;
    const second = await run(s3);
    assert.deepEqual(second.map((o) => o.status), ['skipped', 'skipped']);
    assert.equal(s3.puts.length, puts);
  });

  it('never leaves an object whose bytes do not match the checksum', async () => {
    const s3 = fakeS3();
    const key = generated[0]?.key ?? '';
    server.fault(key, { kind: 'corrupt' });
    try {
      const outcomes = await run(s3);
      const bad = outcomes.find((o) => o.key === key);
      assert.equal(bad?.status, 'failed');
      assert.match(bad?.reason ?? '', /checksum mismatch/);
      assert.ok(!s3.objects.has(`binance/${key}`));
      assert.equal(outcomes.filter((o) => o.status === 'copied').length, 1);
    } finally { server.fault(key, null); }
  });
});
