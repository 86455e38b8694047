/** One benchmark measurement, as printed by `npm run bench`. */
export interface BenchResult {
  /** What was measured. */
  name: string;
  /** The measured value. */
  value: number;
  /** Unit of `value`, e.g. `rows/s`. */
  unit: string;
  /** The value the design asks for, when there is one. */
  target?: number;
  /** value / target (or against a baseline named in `note`). */
  ratio?: number;
  /** Context: data size, baseline, caveats. */
  note?: string;
}
