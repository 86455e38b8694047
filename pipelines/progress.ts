/**
 * Progress of long commands: files, bytes, rows, rate and ETA. On a TTY one status line rewritten in place;
 * elsewhere one JSON line per interval on the given stream (stderr), so logs stay machine-readable.
 */

/** Totals known up front (bytes may be unknown without a listing). */
export interface ProgressTotals {
  readonly files: number;
  readonly bytes: number | null;
}

/** A progress display. */
export interface Progress {
  file(): void;
  bytes(n: number): void;
  rows(n: number): void;
  /** Writes the final line (TTY) or a last JSON line. */
  stop(): void;
}

/** Starts a progress display writing every `intervalMs`. */
export function startProgress(out: NodeJS.WritableStream & { isTTY?: boolean }, totals: ProgressTotals, intervalMs = 1000): Progress {
  const started = Date.now();
  let files = 0; let bytes = 0; let rows = 0;
  const snapshot = () => {
    const elapsedS = Math.max(0.001, (Date.now() - started) / 1000);
    const fraction = totals.bytes !== null && totals.bytes > 0 ? bytes / totals.bytes : totals.files > 0 ? files / totals.files : 1;
    const etaS = fraction > 0 && fraction < 1 ? Math.round((elapsedS / fraction) * (1 - fraction)) : 0;
    return { files, totalFiles: totals.files, bytes, totalBytes: totals.bytes, rows, rowsPerS: Math.round(rows / elapsedS), etaS };
  };
  const write = (final: boolean): void => {
    const s = snapshot();
    if (out.isTTY === true) {
      const mb = (n: number): string => (n / 1e6).toFixed(1);
      const total = s.totalBytes === null ? '' : `/${mb(s.totalBytes)}`;
      out.write(`\r\u001b[2Kfiles ${s.files}/${s.totalFiles} · ${mb(s.bytes)}${total} MB · ${s.rows} rows · ${s.rowsPerS} rows/s · ETA ${s.etaS}s${final ? '\n' : ''}`);
    } else {
      out.write(JSON.stringify({ progress: s }) + '\n');
    }
  };
  const timer = setInterval(() => write(false), intervalMs);
  timer.unref();
  return {
    file: () => { files++; },
    bytes: (n) => { bytes += n; },
    rows: (n) => { rows += n; },
    stop: () => { clearInterval(timer); write(true); },
  };
}
