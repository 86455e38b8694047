/**
 * Input quoted in an error message is shown as a short, escaped excerpt: whatever a file holds (a megabyte
 * line, binary bytes, terminal escape sequences, the start of a file a link pointed at), a message stays one
 * short printable line.
 */

/** Characters an excerpt shows at most, quotes and escapes included. */
export const EXCERPT_CHARS = 80;

/** Control characters JSON.stringify leaves as they are: DEL, the C1 controls, line and paragraph separators. */
const UNESCAPED_CONTROLS = /^[\u007f-\u009f\u2028\u2029]$/;

/** One character as it appears inside a JSON string, with the controls JSON leaves alone escaped too. */
function escaped(c: string): string {
  return UNESCAPED_CONTROLS.test(c) ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : JSON.stringify(c).slice(1, -1);
}

/**
 * `text` as a double-quoted string with every control character escaped (JSON escapes), at most `max`
 * characters long: a longer one is cut, between escapes, and ends with `…` after its closing quote.
 */
export function excerpt(text: string, max = EXCERPT_CHARS): string {
  let body = '';
  for (const c of text) {
    const piece = escaped(c);
    if (body.length + piece.length + 3 > max) return `"${body}"…`;
    body += piece;
  }
  return `"${body}"`;
}
