/**
 * @module
 * Every Prometheus metric kube-devops exports: name, type, labels, help and the component that
 * owns it. Components register their metrics from here, and the dashboard and alert rules in gen/
 * may only query names listed here (a test enforces it), so a rename breaks the build, not Grafana.
 */
import type { Component } from "../rbac/permissions.ts";

export type MetricType = "counter" | "gauge" | "histogram";

export interface MetricDef {
  name: string;
  type: MetricType;
  labels: readonly string[];
  help: string;
  /** The components whose registry exports it. */
  components: readonly Component[];
  /** `reference`: the Rust system's contract (upstream §7), same name, labels and help. */
  origin: "reference" | "new";
}

const W = ["watch"] as const;
const R = ["reconcile"] as const;
const A = ["webhook"] as const;
const ELECTED = ["watch", "reconcile"] as const;
const ALL = ["watch", "reconcile", "webhook"] as const;

function def<N extends string>(name: N, type: MetricType, labels: readonly string[], help: string, components: readonly Component[], origin: MetricDef["origin"]) {
  return { name, type, labels, help, components, origin } satisfies MetricDef;
}

const DEFS = [
  // watch (reference §7.1)
  def("cluster_health_score", "gauge", [], "Cluster governance health score (0-100)", W, "reference"),
  def("namespace_health_score", "gauge", ["namespace"], "Namespace governance health score (0-100)", W, "reference"),
  def("pod_events_total", "counter", [], "Total pod events processed", W, "reference"),
  def("pods_tracked_total", "gauge", [], "Total pods currently tracked by the watch controller", W, "reference"),
  // new: watch violations (the reference only logs them)
  def("namespace_violations", "gauge", ["namespace", "check", "severity"], "Open governance violations per namespace, check and severity (one per offending container and check, one per Pending pod)", W, "new"),
  def("watch_cache_age_seconds", "gauge", [], "How far the scores this leader exports may lag the API server: seconds since its pod watch last delivered a list page, event or bookmark (under ~60 on a healthy cluster: servers send a bookmark a minute)", W, "new"),
  // reconcile (reference §7.2)
  def("devopspolicy_reconcile_total", "counter", [], "Total DevOpsPolicy reconciliation cycles", R, "reference"),
  def("devopspolicy_reconcile_errors_total", "counter", [], "Total DevOpsPolicy reconciliation errors", R, "reference"),
  def("devopspolicy_violations_total", "gauge", ["namespace", "policy"], "Policy violations per namespace and policy", R, "reference"),
  def("devopspolicy_health_score", "gauge", ["namespace", "policy"], "Health score per namespace and policy", R, "reference"),
  def("devopspolicy_remediations_applied_total", "counter", [], "Total successful remediations applied", R, "reference"),
  def("devopspolicy_remediations_failed_total", "counter", [], "Total failed remediation attempts", R, "reference"),
  def("devopspolicy_enforcement_mode", "gauge", ["namespace", "policy"], "Enforcement mode per policy (0=audit, 1=enforce)", R, "reference"),
  def("devopspolicy_pods_scanned_total", "counter", [], "Total pods scanned across all reconciliation cycles", R, "reference"),
  def("devopspolicy_reconcile_duration_seconds", "histogram", [], "Duration of each reconciliation cycle in seconds", R, "reference"),
  def("devopspolicy_violations_by_severity", "gauge", ["severity", "namespace", "policy"], "Policy violations grouped by severity level", R, "reference"),
  def("devopspolicy_audit_results_total", "counter", [], "Total audit results created", R, "reference"),
  // new: reconcile --reports
  def("devopspolicy_report_writes_total", "counter", ["result"], "PolicyReport/Report writes by the operator (result=created|updated|error)", R, "new"),
  // webhook (reference §7.3)
  def("webhook_requests_total", "counter", ["operation", "allowed"], "Total admission webhook requests", A, "reference"),
  def("webhook_denials_total", "counter", ["namespace", "violation"], "Total admission webhook denials by namespace and violation", A, "reference"),
  def("webhook_request_duration_seconds", "histogram", [], "Duration of admission webhook request processing in seconds", A, "reference"),
  // new: webhook warn mode, fail-open errors, certificate lifetime
  def("webhook_warnings_total", "counter", ["namespace", "violation"], "Total admission warnings returned (violations below the admission threshold) by namespace and violation", A, "new"),
  def("webhook_exemptions_total", "counter", ["namespace", "violation"], "Total admission findings an exemption annotation waived (neither denied nor warned) by namespace and violation", A, "new"),
  def("webhook_dry_run_requests_total", "counter", ["operation", "allowed"], "Total dry-run admission webhook requests (kubectl diff, --dry-run=server, GitOps server-side diffs): nothing was persisted, so they are counted here and their findings are not in webhook_denials_total, webhook_warnings_total or webhook_exemptions_total; webhook_requests_total counts them too", A, "new"),
  def("webhook_errors_total", "counter", ["reason"], "Total admission requests allowed because of an internal error (fail-open)", A, "new"),
  def("webhook_certificate_reload_errors_total", "counter", [], "Times changed certificate files or Secret could not be loaded (the certificate in use stays)", A, "new"),
  def("webhook_policy_cache_age_seconds", "gauge", [], "How far the DevOpsPolicies this replica admits with may lag the API server: seconds since its policy watch last delivered a list page, event or bookmark (under ~60 on a healthy cluster: servers send a bookmark a minute)", A, "new"),
  def("webhook_certificate_expiration_timestamp_seconds", "gauge", ["certificate"], "Expiry of the webhook's certificates, Unix seconds: certificate=serving the one served, certificate=ca the CA of the bundle that verifies it (absent when none does)", A, "new"),
  // new: every long-running component (leader metrics: the leader-elected ones)
  def("kube_devops_build_info", "gauge", ["component", "version", "commit"], "Always 1; labels carry the build's version and commit", ALL, "new"),
  def("kube_devops_leader_status", "gauge", ["component"], "1 while this replica holds the component's leader lease, else 0", ELECTED, "new"),
  def("kube_devops_leader_transitions_total", "counter", ["component"], "Times this replica became leader", ELECTED, "new"),
];

export type MetricName = (typeof DEFS)[number]["name"];

/** Every metric by name: `METRICS.cluster_health_score.help`. */
export const METRICS: Readonly<Record<MetricName, MetricDef>> = Object.fromEntries(DEFS.map((m) => [m.name, m])) as Record<MetricName, MetricDef>;

/** Series names a metric exposes: a histogram adds `_bucket`, `_sum` and `_count`. */
export function seriesNames(metric: MetricDef): string[] {
  return metric.type === "histogram" ? [`${metric.name}_bucket`, `${metric.name}_sum`, `${metric.name}_count`] : [metric.name];
}

/** Every series name a kube-devops target can expose. */
export function allSeriesNames(): Set<string> {
  return new Set(DEFS.flatMap((m) => seriesNames(m)));
}

/** The metrics one component's registry must export (its own and the shared ones). */
export function metricsOf(component: Component): MetricDef[] {
  return DEFS.filter((m) => m.components.includes(component));
}
