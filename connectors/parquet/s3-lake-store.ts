/**
 * A lake under an S3 prefix (lake-store.ts): files are uploaded (an object appears only once complete); a
 * staged file is uploaded under its hidden staged key and published by CopyObject to its key, then
 * DeleteObject of the staged key (a retry after the copy copies again, the staged key being still there);
 * control objects are created with PutObject `If-None-Match: *`, which the store refuses (412) when the key
 * exists — S3 and MinIO both honour it. A file's tag is its ETag: `localCopy` downloads it (a GET whose
 * answer names the ETag of exactly the bytes read), `removeIfUnchanged` checks it with HEAD and deletes with
 * `If-Match` (AWS S3 refuses the delete when the object was replaced since; MinIO ignores the header, so there
 * only the HEAD check stands between the two).
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { SinkWriteError } from '../../schemas/errors.js';
import { listObjects, deleteObjects, headObject, s3StatusOf } from '../s3/objects.js';
import { s3KeyOf, type S3Location } from '../s3/s3-url.js';
import { s3Sdk } from '../s3/sdk.js';
import { uploadStream } from '../s3/upload-stream.js';
import { hiddenFileOf, stagedNameOf } from './lake-hidden-files.js';
import type { LakeEntry, LakeStore, StagedFile } from './lake-store.js';

const PARQUET = 'application/vnd.apache.parquet';

function failed(what: string, url: string, error: unknown): SinkWriteError {
  const status = s3StatusOf(error);
  return new SinkWriteError(`${what} ${url} failed`, { service: 's3', url }, { retriable: status === undefined || status >= 500, cause: error });
}

/** A lake store over `s3://<location>`. */
export function s3LakeStore(root: string, location: S3Location, client: S3Client): LakeStore {
  const { bucket } = location;
  const keyOf = (relativePath: string): string => s3KeyOf(location, relativePath);
  const urlOf = (key: string): string => `s3://${bucket}/${key}`;
  const keyOfUrl = (url: string): string => url.slice(`s3://${bucket}/`.length);
  const put = async (key: string, body: Uint8Array | string, contentType: string, ifNoneMatch: boolean): Promise<boolean> => {
    try {
      await client.send(new (s3Sdk().PutObjectCommand)({ Bucket: bucket, Key: key, Body: body, ContentType: contentType, ...(ifNoneMatch ? { IfNoneMatch: '*' } : {}) }));
      return true;
    } catch (error) {
      if (ifNoneMatch && s3StatusOf(error) === 412) return false;
      throw failed('PUT', urlOf(key), error);
    }
  };
  const upload = async (key: string, bytes: Uint8Array, signal?: AbortSignal): Promise<void> => {
    await uploadStream({ client, bucket, key, body: bytes, contentLength: bytes.byteLength, contentType: PARQUET, ...(signal === undefined ? {} : { signal }) });
  };
  return {
    root,
    async write(relativePath, bytes, _writer, signal) {
      await upload(keyOf(relativePath), bytes, signal);
      return urlOf(keyOf(relativePath));
    },
    async stage(relativePath, bytes, writer, signal) {
      const key = keyOf(relativePath);
      const stagedKey = `${key.slice(0, key.lastIndexOf('/') + 1)}${stagedNameOf(key.slice(key.lastIndexOf('/') + 1), writer)}`;
      await upload(stagedKey, bytes, signal);
      return { relativePath, staged: urlOf(stagedKey), path: urlOf(key) };
    },
    async publish(file: StagedFile) {
      const stagedKey = keyOfUrl(file.staged);
      const key = keyOfUrl(file.path);
      try {
        await client.send(new (s3Sdk().CopyObjectCommand)({ Bucket: bucket, Key: key, CopySource: encodeURIComponent(`${bucket}/${stagedKey}`) }));
      } catch (error) {
        // Copied and deleted already (a retry whose first answer was lost): the object is there.
        const gone = s3StatusOf(error) === 404 && await headObject(client, bucket, key) !== undefined;
        if (!gone) throw failed('publishing staged', file.staged, error);
        return file.path;
      }
      await deleteObjects(client, bucket, [stagedKey]);
      return file.path;
    },
    async discard(file) {
      await deleteObjects(client, bucket, [keyOfUrl(file.staged)]);
    },
    async list(relativeDir) {
      const prefix = `${keyOf(relativeDir).replace(/\/+$/, '')}/`;
      const now = Date.now();
      const entries: LakeEntry[] = [];
      for await (const entry of listObjects({ client, bucket, prefix, delimiter: '/' })) {
        if (entry.kind === 'object') entries.push({ name: entry.key.slice(prefix.length), ageMs: now - (entry.lastModified?.getTime() ?? now) });
      }
      return entries;
    },
    async listDirs(relativeDir) {
      const prefix = `${keyOf(relativeDir).replace(/\/+$/, '')}/`.replace(/^\/$/, '');
      const dirs: string[] = [];
      for await (const entry of listObjects({ client, bucket, prefix, delimiter: '/' })) {
        if (entry.kind === 'prefix') dirs.push(entry.prefix.slice(prefix.length).replace(/\/$/, ''));
      }
      return dirs;
    },
    async localCopy(relativePath, scratchDir, signal) {
      const key = keyOf(relativePath);
      let out;
      try {
        out = await client.send(new (s3Sdk().GetObjectCommand)({ Bucket: bucket, Key: key }), signal === undefined ? {} : { abortSignal: signal });
      } catch (error) {
        if (s3StatusOf(error) === 404 || error instanceof s3Sdk().NoSuchKey) return undefined;
        throw failed('GET', urlOf(key), error);
      }
      await mkdir(scratchDir, { recursive: true });
      const path = join(scratchDir, `${createHash('sha256').update(key).digest('hex').slice(0, 16)}.parquet`);
      await pipeline(out.Body as Readable, createWriteStream(path), signal === undefined ? {} : { signal });
      return { path, tag: out.ETag ?? '' };
    },
    async removeIfUnchanged(relativePath, tag) {
      const key = keyOf(relativePath);
      const head = await headObject(client, bucket, key);
      if (head === undefined) return true;
      if (head.etag !== tag) return false;
      try {
        await client.send(new (s3Sdk().DeleteObjectCommand)({ Bucket: bucket, Key: key, IfMatch: tag }));
      } catch (error) {
        const status = s3StatusOf(error);
        if (status === 412) return false;
        if (status !== 404) throw failed('DELETE', urlOf(key), error);
      }
      return true;
    },
    async restoreRetired(relativeDir, name) {
      // Only local removals pass through retired names; one put here by hand is treated the same way.
      const part = hiddenFileOf(name)?.part;
      if (part === undefined) return;
      const retired = keyOf(`${relativeDir}/${name}`);
      const key = keyOf(`${relativeDir}/${part}`);
      if (await headObject(client, bucket, key) === undefined) {
        await client.send(new (s3Sdk().CopyObjectCommand)({ Bucket: bucket, Key: key, CopySource: encodeURIComponent(`${bucket}/${retired}`) }));
      }
      await deleteObjects(client, bucket, [retired]);
    },
    async remove(relativeDir, names) {
      const prefix = `${keyOf(relativeDir).replace(/\/+$/, '')}/`;
      await deleteObjects(client, bucket, names.map((name) => `${prefix}${name}`));
    },
    control: {
      create: (relativePath, text) => put(keyOf(relativePath), text, 'application/json', true),
      async read(relativePath) {
        const key = keyOf(relativePath);
        try {
          const out = await client.send(new (s3Sdk().GetObjectCommand)({ Bucket: bucket, Key: key }));
          return await (out.Body as { transformToString(): Promise<string> }).transformToString();
        } catch (error) {
          if (s3StatusOf(error) === 404 || error instanceof s3Sdk().NoSuchKey) return undefined;
          throw failed('GET', urlOf(key), error);
        }
      },
      async put(relativePath, text) {
        await put(keyOf(relativePath), text, 'application/json', false);
      },
      async remove(relativePath) {
        await deleteObjects(client, bucket, [keyOf(relativePath)]);
      },
    },
  };
}
