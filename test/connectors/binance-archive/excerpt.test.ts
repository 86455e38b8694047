import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EXCERPT_CHARS, excerpt } from '../../../connectors/binance-archive/excerpt.js';
import { parseChecksumText } from '../../../connectors/binance-archive/checksum.js';

describe('excerpt', () => {
  it('quotes short text whole, with every control character escaped (C0, DEL, C1, line separators)', () => {
    assert.equal(excerpt('1,2,x'), '"1,2,x"');
    assert.equal(excerpt('a\u0000b\u001b[31m\u007f\u0085\u2028"\\'), '"a\\u0000b\\u001b[31m\\u007f\\u0085\\u2028\\"\\\\"');
  });

  it('cuts long text to at most 80 characters, between escapes, marked with …', () => {
    for (const text of ['x'.repeat(10_000), '\u001b'.repeat(500), `${'y'.repeat(70)}\u0000\u0000\u0000`]) {
      const shown = excerpt(text);
      assert.ok(shown.length <= EXCERPT_CHARS, shown);
      assert.ok(shown.endsWith('"…'), shown);
      assert.doesNotMatch(shown, /\\u?[0-9a-f]{0,3}"…$/, 'no escape cut in half');
      assert.doesNotMatch(shown, /[\u0000-\u001f\u007f-\u009f]/);
    }
  });

  it('is what a bad .CHECKSUM shows of its content', () => {
    assert.throws(() => parseChecksumText(`\u009b2J\u001b]0;owned\u0007${'\u001b'.repeat(50)}`, 'x.zip.CHECKSUM'), (error: Error) => {
      const quoted = /\(got (.*)\)$/.exec(error.message)?.[1] ?? '';
      assert.ok(quoted.length <= EXCERPT_CHARS, quoted);
      assert.ok(quoted.startsWith('"\\u009b2J\\u001b]0;owned\\u0007'), quoted);
      assert.doesNotMatch(error.message, /[\u0000-\u001f\u007f-\u009f]/);
      return true;
    });
  });
});
