/** S3 connector: client factory, s3:// URLs and streaming multipart uploads. */
export * from './config.js';
export * from './s3-url.js';
export * from './upload-stream.js';
export * from './objects.js';
