/**
 * WebSocket text frames of one connection collected during a batch of played events and written to its TCP
 * socket in one write: unmasked server frames (RFC 6455 §5.2: FIN + text opcode, 7/16/64-bit length, the
 * payload) laid out in one buffer. The `ws` library's own send costs a frame header, two socket writes and a
 * callback per message, more than everything else the server does per event at full speed. Only for sockets
 * without permessage-deflate (the replay server never negotiates it); control frames and close frames still
 * go through `ws`, between batches, so the order on the wire is the order of the calls.
 */
import type { Duplex } from 'node:stream';

/** Text frames waiting for one socket write. */
export class FrameBatch {
  private texts: string[] = [];
  private lengths: number[] = [];
  /** Bytes of the frames waiting (headers included). */
  bytes = 0;

  constructor(private readonly socket: Duplex) {}

  /** Adds one text frame. */
  add(text: string): void {
    const length = Buffer.byteLength(text);
    this.texts.push(text);
    this.lengths.push(length);
    this.bytes += length + (length < 126 ? 2 : length < 65536 ? 4 : 10);
  }

  /** Bytes waiting: this batch's frames and what the socket has not flushed yet. */
  get backlog(): number { return this.bytes + this.socket.writableLength; }

  /** Writes the frames as one buffer (nothing when the socket is gone). */
  flush(): void {
    if (this.texts.length === 0) return;
    const { texts, lengths } = this;
    const buffer = Buffer.allocUnsafe(this.bytes);
    this.texts = [];
    this.lengths = [];
    this.bytes = 0;
    if (this.socket.destroyed || !this.socket.writable) return;
    let at = 0;
    for (let i = 0; i < texts.length; i++) {
      const text = texts[i];
      const length = lengths[i];
      buffer[at++] = 0x81;
      if (length < 126) buffer[at++] = length;
      else if (length < 65536) { buffer[at++] = 126; buffer.writeUInt16BE(length, at); at += 2; }
      else { buffer[at++] = 127; buffer.writeUInt32BE(Math.floor(length / 2 ** 32), at); buffer.writeUInt32BE(length >>> 0, at + 4); at += 8; }
      at += buffer.write(text, at, 'utf8');
    }
    this.socket.write(buffer);
  }
}
