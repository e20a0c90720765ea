/**
 * @module
 * Tallies and the health score. A tally is a flat record of small integers
 * (pods, penalty units per check, violation and exemption counts) so that the
 * watch controller can keep one per pod and add or subtract it per event.
 * Formula and bands are the reference's (§3.3); see docs/decisions/0003.
 */
import { CHECKS, CHECK_IDS, type CheckId } from "./checks/registry.ts";

export type Tally = { pods: number; violations: number; exempt: number } & Record<CheckId, number>;

export const CLASSIFICATIONS = ["Healthy", "Stable", "Degraded", "Critical"] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

const WEIGHTS: ReadonlyArray<readonly [CheckId, number]> = CHECKS.map((c) => [c.id, c.weight] as const);
const FIELDS: readonly (keyof Tally)[] = ["pods", "violations", "exempt", ...CHECK_IDS];

/** A tally of nothing (scores 100). */
export function emptyTally(): Tally {
  return {
    pods: 0,
    violations: 0,
    exempt: 0,
    latest_tag: 0,
    missing_liveness: 0,
    missing_readiness: 0,
    high_restarts: 0,
    pending: 0,
    missing_requests: 0,
    missing_limits: 0,
  };
}

/** Adds `b` into `target` (mutates and returns `target`; no allocation). */
export function addTallyInto(target: Tally, b: Tally): Tally {
  for (const f of FIELDS) target[f] += b[f];
  return target;
}

/** Subtracts `b` from `target`, clamping each field at 0 (mutates and returns `target`). */
export function subtractTallyInto(target: Tally, b: Tally): Tally {
  for (const f of FIELDS) {
    const next = target[f] - b[f];
    target[f] = next > 0 ? next : 0;
  }
  return target;
}

/** The component-wise sum of tallies, as a new tally. */
export function sumTallies(tallies: Iterable<Tally>): Tally {
  const total = emptyTally();
  for (const t of tallies) addTallyInto(total, t);
  return total;
}

/** True when every field of `a` equals the same field of `b`. */
export function tallyEquals(a: Tally, b: Tally): boolean {
  for (const f of FIELDS) if (a[f] !== b[f]) return false;
  return true;
}

/** Weighted penalty points before dividing by the pod count. */
export function rawPenalty(tally: Tally): number {
  let raw = 0;
  for (const [id, weight] of WEIGHTS) raw += weight * tally[id];
  return raw;
}

/** 100 − min(floor(raw / pods), 100); an empty tally scores 100. */
export function scoreTally(tally: Tally): number {
  if (tally.pods <= 0) return 100;
  const perPod = Math.floor(rawPenalty(tally) / tally.pods);
  return 100 - Math.min(perPod, 100);
}

/** Healthy 80–100, Stable 60–79, Degraded 40–59, Critical below 40. */
export function classify(score: number): Classification {
  if (score >= 80) return "Healthy";
  if (score >= 60) return "Stable";
  if (score >= 40) return "Degraded";
  return "Critical";
}

/**
 * How many points the score of `total` would gain if `part` (a subset of it)
 * had no penalties — what fixing one workload is worth to the cluster score.
 * Exact (one decimal), before the integer truncation of `scoreTally`, so that
 * small workloads in big clusters still rank instead of all showing 0.
 */
export function scoreGain(total: Tally, part: Tally): number {
  if (total.pods <= 0) return 0;
  const raw = rawPenalty(total);
  const before = Math.min(raw / total.pods, 100);
  const after = Math.min(Math.max(0, raw - rawPenalty(part)) / total.pods, 100);
  return Math.round((before - after) * 10) / 10;
}
