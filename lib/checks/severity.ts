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

/** True when `value` is one of critical, high, medium, low. */
export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}
