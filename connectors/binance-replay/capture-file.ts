/**
 * Readers for captured Binance traffic in the cryptofeed capture format:
 * - WebSocket captures (`*.ws.1.0`): line 1 = `<ws url> <-> <unix s>`; then `<receive unix s>: <raw JSON>`.
 * - REST captures (`*.http.0.0`, `*.0`): one line per request, `<url> -> <unix s>: <raw JSON body>`.
 * Lines that do not fit the format are skipped and counted (never silently: `skippedLines`).
 */

/** One captured WebSocket frame. */
export interface CapturedFrame {
  /** Local receive time of the capture, ms since the epoch (fractional). */
  readonly receiveMs: number;
  /** The frame text exactly as received. */
  readonly raw: string;
}

/** One captured REST response. */
export interface CapturedResponse {
  readonly url: URL;
  readonly receiveMs: number;
  /** The body exactly as received. */
  readonly body: string;
}

/** A parsed WebSocket capture. */
export interface WsCapture {
  readonly url: string;
  readonly frames: CapturedFrame[];
  readonly skippedLines: number;
}

/** Parses a `*.ws.1.0` capture. */
export function parseWsCapture(text: string): WsCapture {
  const lines = text.split('\n');
  const header = /^(\S+) <-> ([\d.]+)$/.exec(lines[0]?.trim() ?? '');
  const frames: CapturedFrame[] = [];
  let skippedLines = header === null ? 1 : 0;
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const m = /^([\d.]+): (.*)$/.exec(line);
    if (m === null) { skippedLines++; continue; }
    frames.push({ receiveMs: Number(m[1]) * 1000, raw: m[2] });
  }
  return { url: header?.[1] ?? '', frames, skippedLines };
}

/** Parses a `*.http.0.0` (or `*.0`) REST capture. */
export function parseHttpCapture(text: string): { responses: CapturedResponse[]; skippedLines: number } {
  const responses: CapturedResponse[] = [];
  let skippedLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const m = /^(\S+) -> ([\d.]+): (.*)$/.exec(line);
    if (m === null) { skippedLines++; continue; }
    responses.push({ url: new URL(m[1]), receiveMs: Number(m[2]) * 1000, body: m[3] });
  }
  return { responses, skippedLines };
}
