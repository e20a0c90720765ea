/**
 * @module
 * Severity ranks (admission and `--fail-on` thresholds) and the reference's
 * score multipliers (§3.6), kept for reports; the health score itself is
 * unweighted by severity, as in the reference.
 */
import { SEVERITIES, type Severity } from "../policy/schema.ts";

export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { low: 1, medium: 2, high: 3, critical: 4 };

export const SEVERITY_MULTIPLIER: Readonly<Record<Severity, number>> = { low: 1, medium: 1, high: 2, critical: 3 };

/** True when `severity` is at or above `threshold`. */
export function isAtLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold];
}

/** The higher of two severities. */
export function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;
}

/** Findings per severity, keys in SEVERITIES order (critical first). */
export type SeverityCounts = Record<Severity, number>;

/** `{ critical: 0, high: 0, medium: 0, low: 0 }`. */
export function emptySeverityCounts(): SeverityCounts {
  return { critical: 0, high: 0, medium: 0, low: 0 };
}

/** How many of `counts` are at or above `threshold`. */
export function countAtOrAbove(counts: Readonly<SeverityCounts>, threshold: Severity): number {
  let n = 0;
  for (const s of SEVERITIES) if (isAtLeast(s, threshold)) n += counts[s];
  return n;
}

/** True when `value` is one of critical, high, medium, low. */
export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}
