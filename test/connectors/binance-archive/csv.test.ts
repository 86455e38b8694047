import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isHeaderLine, readLinePieces } from '../../../connectors/binance-archive/csv.js';

async function* toAsync(chunks: Array<Buffer | string>): AsyncGenerator<Buffer | string> {
  for (const chunk of chunks) yield chunk;
}

async function pieces(chunks: Array<Buffer | string>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const piece of readLinePieces(toAsync(chunks))) out.push(piece);
  return out;
}

describe('readLinePieces', () => {
  it('hands out whole lines only, each piece ending with a newline, and joins a line split across chunks', async () => {
    const out = await pieces([Buffer.from('a,1\r\nb,'), Buffer.from('2\nc,3\nd'), Buffer.from(',4\n')]);
    assert.deepEqual(out.map((p) => p.toString()), ['a,1\r\n', 'b,2\n', 'c,3\n', 'd,4\n']);
    for (const p of out) assert.equal(p.at(-1), 10);
  });

  it('joins a line spread over several chunks and chunks without any newline or bytes', async () => {
    const out = await pieces([Buffer.from('12'), Buffer.alloc(0), Buffer.from('34'), Buffer.from('56\n7'), Buffer.from('8\n')]);
    assert.deepEqual(out.map((p) => p.toString()), ['123456\n', '78\n']);
  });

  it('appends a newline to a last line without one, and yields nothing for an empty stream', async () => {
    assert.deepEqual((await pieces([Buffer.from('a\nb')])).map((p) => p.toString()), ['a\n', 'b\n']);
    assert.deepEqual((await pieces([Buffer.from('a\n'), Buffer.from('b\r')])).map((p) => p.toString()), ['a\n', 'b\r\n']);
    assert.deepEqual(await pieces([]), []);
  });

  it('keeps a multi-byte UTF-8 character split between chunks whole and accepts text chunks', async () => {
    const bytes = Buffer.from('x,é\ny,ü\n');
    const out = await pieces([bytes.subarray(0, 3), bytes.subarray(3, 8), bytes.subarray(8), 'z,€\n']);
    assert.deepEqual(out.map((p) => p.toString('utf8')), ['x,é\n', 'y,ü\n', 'z,€\n']);
  });
});

describe('isHeaderLine', () => {
  it('sniffs a header from text or bytes: neither a digit nor a minus sign first', () => {
    assert.ok(isHeaderLine('open_time,open'));
    assert.ok(isHeaderLine(Buffer.from('\n,open_time'), 2));
    assert.ok(!isHeaderLine(Buffer.from('1577836800000,7195.24')));
    assert.ok(!isHeaderLine(Buffer.from('x\n-1,2'), 2));
  });
});
