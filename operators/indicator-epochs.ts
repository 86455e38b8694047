/**
 * Where an indicator's values are seeded: the bars of a stream are cut into epochs of a fixed number of
 * interval windows (counted from 1970, so every run cuts them alike), and a value depends only on the bars
 * from a fixed epoch start before it — never on where a run happened to start reading. That makes a run over
 * any later start (a `serve` re-read after a restart, `lakehouse indicators --from`) give exactly the rows of a
 * run over the whole stream, once it has read from the seed of the first row it emits.
 */
import { fixedIntervalUs, type KlineInterval, US_PER_DAY, US_PER_MS } from '../schemas/index.js';

/** Epochs of one interval: `windows` interval windows each, or UTC days (`windows` 0). */
export class Epochs {
  private readonly spanUs: number;

  constructor(interval: KlineInterval, private readonly windows: number) {
    const fixed = fixedIntervalUs(interval);
    this.spanUs = windows === 0 ? US_PER_DAY : fixed === undefined ? 0 : fixed * windows;
  }

  /** The epoch holding the bar that opens at `openUs`. */
  of(openUs: number): number {
    if (this.spanUs > 0) return Math.floor(openUs / this.spanUs);
    const d = new Date(Math.floor(openUs / US_PER_MS)); // calendar months
    return Math.floor(((d.getUTCFullYear() - 1970) * 12 + d.getUTCMonth()) / this.windows);
  }

  /** Where epoch `epoch` starts, µs. */
  startUs(epoch: number): number {
    if (this.spanUs > 0) return epoch * this.spanUs;
    return Date.UTC(1970, epoch * this.windows, 1) * US_PER_MS;
  }
}
