/**
 * Worker-thread entry of parquet-encoder.ts: encodes each {@link EncodeJob}'s column buffers into a Parquet file
 * (encode-parquet.ts) and posts the bytes back, transferred. Jobs are handled one at a time, in arrival order.
 *
 * A job's buffers are released as soon as it is encoded, by transferring them into a channel whose other end is
 * closed (the message is dropped with them). Left to this thread's GC, a few MB of transferred-in memory per
 * batch triggered a major GC every batch or two (about 30-50 per 2M rows; 3-11 this way).
 */
import { MessageChannel, parentPort } from 'node:worker_threads';
import { encodeParquetColumns } from './encode-parquet.js';
import { transferablesOf } from './map-column-buffers.js';
import type { EncodeJob, EncodeReply } from './parquet-encoder.js';

const discard = new MessageChannel();
discard.port2.close();
discard.port1.unref();

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
  discard.port1.postMessage(null, transferablesOf(job.buffers)); // frees them now (see the module doc)
  parentPort?.postMessage(message, transfer);
});
