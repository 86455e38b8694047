/**
 * Worker-thread entry of parquet-encoder.ts: encodes each {@link EncodeJob}'s column buffers into a Parquet file
 * (encode-parquet.ts) and posts the bytes back, transferred. Jobs are handled one at a time, in arrival order.
 */
import { parentPort } from 'node:worker_threads';
import { encodeParquetColumns } from './encode-parquet.js';
import type { EncodeJob, EncodeReply } from './parquet-encoder.js';

function reply(job: EncodeJob): { message: EncodeReply; transfer: ArrayBuffer[] } {
  try {
    let bytes = encodeParquetColumns(job.buffers, job.columns, { maxRowGroupRows: job.maxRowGroupRows });
    if (bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength) bytes = bytes.slice(); // own the whole buffer before moving it
    return { message: { id: job.id, bytes }, transfer: [bytes.buffer as ArrayBuffer] };
  } catch (error) {
    const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
    return { message: { id: job.id, error: { name, message } }, transfer: [] };
  }
}

parentPort?.on('message', (job: EncodeJob) => {
  const { message, transfer } = reply(job);
  parentPort?.postMessage(message, transfer);
});
