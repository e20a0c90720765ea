/**
 * @module
 * One policy over the pods of its namespace: the engine's checks and the
 * reference's score (§3.5), plus what status, metrics and audit results need.
 */
import { checkSetFromPolicy } from "../checks/check-set.ts";
import { evaluatePod, type Finding } from "../checks/evaluate.ts";
import { emptySeverityCounts, type SeverityCounts } from "../checks/severity.ts";
import type { PodLike } from "../k8s-objects.ts";
import type { DevOpsPolicySpec } from "../policy/schema.ts";
import { addTallyInto, classify, emptyTally, scoreTally, type Classification } from "../score.ts";

export interface PolicyEvaluation {
  score: number;
  classification: Classification;
  healthy: boolean;
  /** Violations counted as the reference does (one per container per check, one per Pending pod), exemptions excluded. */
  violations: number;
  /** Pods evaluated (system-namespace, Succeeded and terminating pods excluded). */
  totalPods: number;
  /** Non-exempt findings in the engine's order. */
  findings: Finding[];
  bySeverity: SeverityCounts;
  /** `<V> violations across <P> pods — <Class> (<score>)` (reference §2.1). */
  message: string;
}

/** Evaluates `spec` over `pods` at `now` (epoch ms); `exemptions: false` ignores exemption annotations. */
export function evaluatePolicy(spec: DevOpsPolicySpec, pods: Iterable<PodLike>, now: number, exemptions = true): PolicyEvaluation {
  const set = checkSetFromPolicy(spec);
  const tally = emptyTally();
  const findings: Finding[] = [];
  for (const pod of pods) {
    const result = evaluatePod(pod, set, { now, exemptions });
    if (result.skipped) continue;
    addTallyInto(tally, result.tally);
    for (const finding of result.findings) if (!finding.exempt) findings.push(finding);
  }
  const bySeverity = emptySeverityCounts();
  for (const finding of findings) bySeverity[finding.severity] += 1;
  const score = scoreTally(tally);
  const classification = classify(score);
  return {
    score,
    classification,
    healthy: score >= 80,
    violations: tally.violations,
    totalPods: tally.pods,
    findings,
    bySeverity,
    message: `${tally.violations} violations across ${tally.pods} pods — ${classification} (${score})`,
  };
}
