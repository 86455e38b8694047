/**
 * S3 connection settings and the client factory. Values are passed in (pipelines resolve them from flags,
 * env and config); nothing here reads the environment. Works with AWS and with emulators (MinIO, moto).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { ConfigError } from '../../schemas/errors.js';
import { s3Sdk } from './sdk.js';

/** How to reach an S3-compatible store. */
export interface S3Config {
  /** Endpoint URL, e.g. `http://127.0.0.1:19090`; omit for AWS. @default AWS regional endpoint */
  readonly endpoint?: string;
  /** Region. @default 'us-east-1' */
  readonly region?: string;
  /** Access key id; omit to use the SDK's default credential chain. */
  readonly accessKeyId?: string;
  /** Secret access key (masked when config is printed). */
  readonly secretAccessKey?: string;
  /** Session token for temporary credentials. */
  readonly sessionToken?: string;
  /** Path-style URLs (`endpoint/bucket/key`); required by most emulators. @default true when `endpoint` is set */
  readonly forcePathStyle?: boolean;
}

/**
 * A client for `config`. Checksums are computed/validated only WHEN_REQUIRED: SDK ≥ 3.729 otherwise sends
 * `aws-chunked` bodies with CRC trailers that emulators store verbatim (silently corrupt objects).
 */
export function createS3Client(config: S3Config): S3Client {
  if ((config.accessKeyId === undefined) !== (config.secretAccessKey === undefined)) {
    throw new ConfigError('S3: accessKeyId and secretAccessKey must be given together');
  }
  return new (s3Sdk().S3Client)({
    region: config.region ?? 'us-east-1',
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    forcePathStyle: config.forcePathStyle ?? config.endpoint !== undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(config.accessKeyId === undefined ? {} : {
      credentials: {
        accessKeyId: config.accessKeyId,
        secretAccessKey: config.secretAccessKey as string,
        ...(config.sessionToken === undefined ? {} : { sessionToken: config.sessionToken }),
      },
    }),
  });
}
