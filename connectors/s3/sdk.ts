/**
 * The AWS SDK, loaded on first use. `@aws-sdk/client-s3` is slow to load; a run that never touches S3 (a local archive into a local lake) should not pay it at startup. Both packages are CommonJS
 * only (no `exports` map), so this `require` returns the very module an `import` elsewhere gets (same classes
 * for `instanceof`).
 */
import { createRequire } from 'node:module';
import type * as ClientS3 from '@aws-sdk/client-s3';
import type * as LibStorage from '@aws-sdk/lib-storage';

const require = createRequire(import.meta.url);
let clientS3: typeof ClientS3 | undefined;
let libStorage: typeof LibStorage | undefined;

/** `@aws-sdk/client-s3`, loaded on the first call. */
export function s3Sdk(): typeof ClientS3 {
  clientS3 ??= require('@aws-sdk/client-s3') as typeof ClientS3;
  return clientS3;
}

/** `@aws-sdk/lib-storage`, loaded on the first call. */
export function s3Storage(): typeof LibStorage {
  libStorage ??= require('@aws-sdk/lib-storage') as typeof LibStorage;
  return libStorage;
}
