/**
 * @module
 * Small measurement helpers: repeated runs, medians and percentiles.
 */

/** The q-quantile (0..1) of `values` (nearest rank on a sorted copy). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Runs `fn` `runs` times (after `warmup` discarded runs); returns each duration in ms. */
export async function timeRuns(fn: () => unknown | Promise<unknown>, runs: number, warmup = 1): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    out.push(performance.now() - start);
  }
  return out;
}

/** Peak RSS (kB → MB) of a finished child from /proc-less `time`-style usage, when Bun reports it. */
export function toMB(bytes: number): number {
  return Math.round((bytes / 2 ** 20) * 10) / 10;
}
