/**
 * @module
 * The reconcile operator's Prometheus metrics (reference §7.2 names, labels and
 * help, from lib/metrics/names.ts) on an injected registry, plus the leader gauge.
 * Deleting a policy removes every series it had, by-severity ones included (W-R9).
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { METRICS, type MetricName } from "../metrics/names.ts";
import { SEVERITIES } from "../policy/schema.ts";
import { COMMIT, VERSION } from "../version.ts";
import type { PolicyEvaluation } from "./evaluate-policy.ts";

type Labels = "namespace" | "policy" | "severity" | "component" | "version" | "commit" | "result";

function gauge(registry: Registry, name: MetricName): Gauge<Labels> {
  const def = METRICS[name];
  return new Gauge({ name, help: def.help, labelNames: def.labels as Labels[], registers: [registry] });
}

function counter(registry: Registry, name: MetricName): Counter<Labels> {
  const def = METRICS[name];
  return new Counter({ name, help: def.help, labelNames: def.labels as Labels[], registers: [registry] });
}

export interface OperatorMetrics {
  reconcileTotal: Counter<Labels>;
  reconcileErrors: Counter<Labels>;
  reconcileDuration: Histogram<Labels>;
  podsScanned: Counter<Labels>;
  remediationsApplied: Counter<Labels>;
  remediationsFailed: Counter<Labels>;
  auditResults: Counter<Labels>;
  /** Report writes (`reconcile --reports`) by result: created, updated, error. */
  reportWrites: Counter<Labels>;
  leader: Gauge<Labels>;
  leaderTransitions: Counter<Labels>;
  /** Sets the per-policy gauges from one evaluation. */
  recordEvaluation(namespace: string, policy: string, evaluation: PolicyEvaluation, enforce: boolean): void;
  /** Removes every series of one policy (violations, health, mode, by-severity). */
  removePolicy(namespace: string, policy: string): void;
}

/** Registers the operator's metrics on `registry`. */
export function createOperatorMetrics(registry: Registry): OperatorMetrics {
  const violations = gauge(registry, "devopspolicy_violations_total");
  const health = gauge(registry, "devopspolicy_health_score");
  const mode = gauge(registry, "devopspolicy_enforcement_mode");
  const bySeverity = gauge(registry, "devopspolicy_violations_by_severity");
  const leader = gauge(registry, "kube_devops_leader_status");
  leader.set({ component: "reconcile" }, 0);
  // at 0 from the start, as the watch's: a series born at 1 hides the first transition from increase()
  const leaderTransitions = counter(registry, "kube_devops_leader_transitions_total");
  leaderTransitions.inc({ component: "reconcile" }, 0);
  gauge(registry, "kube_devops_build_info").set({ component: "reconcile", version: VERSION, commit: COMMIT }, 1);
  return {
    reconcileTotal: counter(registry, "devopspolicy_reconcile_total"),
    reconcileErrors: counter(registry, "devopspolicy_reconcile_errors_total"),
    reconcileDuration: new Histogram({
      name: "devopspolicy_reconcile_duration_seconds",
      help: METRICS.devopspolicy_reconcile_duration_seconds.help,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    podsScanned: counter(registry, "devopspolicy_pods_scanned_total"),
    remediationsApplied: counter(registry, "devopspolicy_remediations_applied_total"),
    remediationsFailed: counter(registry, "devopspolicy_remediations_failed_total"),
    auditResults: counter(registry, "devopspolicy_audit_results_total"),
    reportWrites: counter(registry, "devopspolicy_report_writes_total"),
    leader,
    leaderTransitions,
    recordEvaluation(namespace, policy, evaluation, enforce) {
      violations.set({ namespace, policy }, evaluation.violations);
      health.set({ namespace, policy }, evaluation.score);
      mode.set({ namespace, policy }, enforce ? 1 : 0);
      for (const severity of SEVERITIES) bySeverity.set({ severity, namespace, policy }, evaluation.bySeverity[severity]);
    },
    removePolicy(namespace, policy) {
      for (const g of [violations, health, mode]) g.remove({ namespace, policy });
      for (const severity of SEVERITIES) bySeverity.remove({ severity, namespace, policy });
    },
  };
}
