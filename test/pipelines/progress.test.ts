import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { startProgress } from '../../pipelines/progress.js';

function capture(isTTY: boolean): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  const parts: string[] = [];
  const stream = Object.assign(new Writable({ write(chunk, _e, cb) { parts.push(String(chunk)); cb(); } }), { isTTY });
  return { stream, text: () => parts.join('') };
}

describe('progress', () => {
  it('writes JSON lines with files, bytes, rows, rate and ETA when not on a TTY', () => {
    const out = capture(false);
    const progress = startProgress(out.stream, { files: 4, bytes: 1000 }, 60_000);
    progress.file(); progress.bytes(500); progress.rows(42);
    progress.stop();
    const line = JSON.parse(out.text().trim()) as { progress: Record<string, number | null> };
    assert.equal(line.progress.files, 1);
    assert.equal(line.progress.totalFiles, 4);
    assert.equal(line.progress.bytes, 500);
    assert.equal(line.progress.totalBytes, 1000);
    assert.equal(line.progress.rows, 42);
    assert.equal(typeof line.progress.etaS, 'number');
  });

  it('rewrites one status line on a TTY and ends it with a newline', () => {
    const out = capture(true);
    const progress = startProgress(out.stream, { files: 2, bytes: null }, 60_000);
    progress.file(); progress.rows(10);
    progress.stop();
    assert.match(out.text(), /^\r\u001b\[2Kfiles 1\/2 · 0\.0 MB · 10 rows · \d+ rows\/s · ETA \d+s\n$/);
  });
});
