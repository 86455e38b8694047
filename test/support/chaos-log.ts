/**
 * The chaos suite's seed and its record of faults: every random choice (kill points, burst lengths) comes from
 * one seeded generator, the seed is printed first (`CHAOS_SEED=<n> npm run test:chaos` repeats a run), and each
 * scenario adds the faults it injected and what came of them to a table printed at the end (Markdown).
 */
import { prng } from './archive-rows.js';

/** One row of the table: a fault, where it was injected, what was done, and the outcome checked. */
export interface ChaosRow {
  readonly scenario: string;
  readonly fault: string;
  injected: string;
  outcome: string;
}

/** The run's seed, random numbers and rows. */
export class ChaosLog {
  readonly seed: number;
  private readonly random: () => number;
  readonly rows: ChaosRow[] = [];

  constructor(seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31))) {
    this.seed = seed;
    this.random = prng(seed);
    console.log(`chaos seed: ${seed} (repeat with CHAOS_SEED=${seed} npm run test:chaos)`);
  }

  /** A number in [min, max) from the seeded generator. */
  between(min: number, max: number): number {
    return min + (max - min) * this.random();
  }

  /** A new row, in the table at once (a scenario fills in `injected` as it goes and `outcome` at the end). */
  begin(scenario: string, fault: string): ChaosRow {
    const row: ChaosRow = { scenario, fault, injected: '', outcome: 'did not finish' };
    this.rows.push(row);
    return row;
  }

  /** Runs `body` with a new row; a failure becomes the row's outcome (and is thrown on). */
  async run(scenario: string, fault: string, body: (row: ChaosRow) => Promise<void>): Promise<void> {
    const row = this.begin(scenario, fault);
    try {
      await body(row);
    } catch (error) {
      row.outcome = `**FAILED**: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}${row.outcome === 'did not finish' ? '' : ` (${row.outcome})`}`;
      throw error;
    } finally {
      console.log(`chaos: ${row.scenario} | ${row.fault} | ${row.injected} | ${row.outcome}`);
    }
  }

  /** The table of every row so far, as Markdown. */
  table(): string {
    const lines = ['| scenario | fault | injected | outcome |', '|---|---|---|---|'];
    for (const r of this.rows) lines.push(`| ${r.scenario} | ${r.fault} | ${r.injected} | ${r.outcome} |`);
    return `chaos run, seed ${this.seed}\n${lines.join('\n')}`;
  }
}
