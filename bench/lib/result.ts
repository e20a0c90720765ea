/**
 * @module
 * The contract every bench script follows: print one `BenchResult` as JSON on
 * stdout (logs on stderr). `bench/run.ts` collects them into bench/results/.
 */

export interface Figure {
  /** What was measured, e.g. "startup of `version`". */
  label: string;
  value: number;
  unit: string;
  /** The same measurement of the baseline in the same run, when there is one. */
  baseline?: { label: string; value: number };
  /** value / baseline (or baseline / value for throughput: say which in `ratioMeaning`). */
  ratio?: number;
  ratioMeaning?: string;
  /** The target from the issues, e.g. "≤ 2×" — shown beside the ratio. */
  target?: string;
  /** Whether the target holds (undefined when there is none). */
  met?: boolean;
}

export interface Series {
  title: string;
  xLabel: string;
  yLabel: string;
  /** A logarithmic y axis (decade ticks), for values spanning orders of magnitude; all y must be > 0. */
  logY?: boolean;
  lines: Array<{ name: string; points: Array<[number, number]> }>;
}

export interface BenchResult {
  name: string;
  title: string;
  setup: string;
  figures: Figure[];
  series?: Series[];
  notes?: string[];
  /** When the run that measured this section started (ISO 8601); set by bench/run.ts, not by the scripts. */
  measured?: string;
}

/** Prints a result for bench/run.ts to collect. */
export function emitResult(result: BenchResult): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
