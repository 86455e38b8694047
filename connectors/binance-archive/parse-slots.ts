/**
 * Admission of fetched archive files to parsing (see `fromBinanceArchive`'s `parseBudgetBytes`).
 */

/** Default zip bytes parsed at once. */
export const DEFAULT_PARSE_BUDGET_BYTES = 32 * 1024 * 1024;

/**
 * Admits files to parsing while the zip bytes being parsed stay within a budget (always at least one file),
 * and at most `maxFiles` at once; the others wait in arrival order. Big files go one at a time (parsing runs
 * on one thread, so interleaving them only multiplies the batches held), small ones overlap their per-file
 * latencies (checksum, part files, manifest).
 */
export class ParseSlots {
  private readonly waiting: { weight: number; grant: () => void }[] = [];
  private bytes = 0;
  private files = 0;
  constructor(private readonly budgetBytes: number, private readonly maxFiles: number) {}

  /** Resolves with the release function once `weight` bytes may be parsed (rejects if `signal` aborts first). */
  take(weight: number, signal: AbortSignal): Promise<() => void> {
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.bytes -= weight;
      this.files--;
      this.admit();
    };
    return new Promise((resolve, reject) => {
      const entry = { weight, grant: (): void => { signal.removeEventListener('abort', onAbort); resolve(release); } };
      const onAbort = (): void => {
        const at = this.waiting.indexOf(entry);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
      this.admit();
    });
  }

  private admit(): void {
    for (let head = this.waiting[0]; head !== undefined; head = this.waiting[0]) {
      const fits = this.files === 0 || (this.files < this.maxFiles && this.bytes + head.weight <= this.budgetBytes);
      if (!fits) return;
      this.waiting.shift();
      this.bytes += head.weight;
      this.files++;
      head.grant();
    }
  }
}

