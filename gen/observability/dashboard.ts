/**
 * @module
 * The Grafana dashboard: every panel of the reference (§8, same titles and order) plus webhook
 * health, severity, audit and leader-election views, laid out with gridPos on a 24-column grid,
 * every query against a `${datasource}` Prometheus variable, per-namespace panels filtered by a
 * `$namespace` variable (several or All); shipped in a sidecar ConfigMap.
 */
import type { Dashboard, Panel, RowPanel, VariableModel } from "@grafana/schema";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import { type DeployOptions, objectLabels } from "../options.ts";

export const DASHBOARD_UID = "kube-devops-overview";
export const DASHBOARD_CONFIGMAP = "kube-devops-grafana-dashboard";
export const DASHBOARD_KEY = "kube-devops.json";

type Kind = "stat" | "timeseries";
interface Target {
  expr: string;
  legend?: string;
}
interface PanelSpec {
  kind: Kind;
  title: string;
  description: string;
  targets: Target[];
  width: number;
  height?: number;
  unit?: string;
  /** Threshold steps, lowest first; the first value is the base colour. */
  steps?: { color: string; value: number | null }[];
  min?: number;
  max?: number;
}
interface RowSpec {
  title: string;
  panels: PanelSpec[];
}

const DATASOURCE = { type: "prometheus", uid: "${datasource}" };
/** The series whose `namespace` label is a workload namespace (the rest carry the install's, from the scrape target). */
export const NAMESPACE_SOURCES = ["namespace_health_score", "devopspolicy_health_score", "webhook_denials_total", "webhook_warnings_total", "webhook_exemptions_total"] as const;
/** The matcher of the `namespace` variable (workload namespaces; All = every one), for per-namespace panels. */
const NS = 'namespace=~"$namespace"';
/**
 * The namespace variable, several at once or All: the namespaces the watch controller scores,
 * that have a policy, or where admission denied or warned. The watch alone would leave out a
 * namespace whose every pod admission refuses (it has no pod to score).
 */
const NAMESPACE_VARIABLE = {
  name: "namespace",
  label: "Namespace",
  type: "query",
  datasource: DATASOURCE,
  query: { query: `label_values({__name__=~"${NAMESPACE_SOURCES.join("|")}"}, namespace)`, refId: "namespace" },
  refresh: 2,
  sort: 1,
  multi: true,
  includeAll: true,
  allValue: ".*",
  current: { selected: true, text: ["All"], value: ["$__all"] },
  hide: 0,
} satisfies VariableModel;
const SCORE_STEPS = [
  { color: "red", value: null },
  { color: "orange", value: 40 },
  { color: "yellow", value: 60 },
  { color: "green", value: 80 },
];
const COUNT_STEPS = [
  { color: "green", value: null },
  { color: "red", value: 1 },
];
const score = { unit: "none", min: 0, max: 100, steps: SCORE_STEPS };

function ts(title: string, description: string, targets: Target[], extra: Partial<PanelSpec> = {}): PanelSpec {
  return { kind: "timeseries", title, description, targets, width: 8, ...extra };
}
function stat(title: string, description: string, targets: Target[], extra: Partial<PanelSpec> = {}): PanelSpec {
  return { kind: "stat", title, description, targets, width: 6, ...extra };
}

/**
 * The rows and panels, in display order (reference ids 0–25 first, then the new views). Gauges
 * only the leader exports are aggregated with `max` to the labels the legend names: over a
 * panel's time range every pod that led has its own series (pod and instance are the scrape
 * target's), and a bare selector would draw the same namespace twice, or split a stat in two
 * tiles, for an hour after each rollout. `max`, not `sum`: for the moment two replicas both
 * report (the old leader's last scrape), they report the same state.
 */
export function dashboardRows(): RowSpec[] {
  const q = (expr: string, legend?: string): Target => (legend ? { expr, legend } : { expr });
  return [
    {
      title: "Overview",
      panels: [
        stat("Cluster Health Score", "Live governance score of all non-system pods (watch controller)", [q("max(cluster_health_score)")], score),
        ts("Reconcile Cycles", "DevOpsPolicy reconciliations per second", [q("sum(rate(devopspolicy_reconcile_total[5m]))", "reconciles/s")], { width: 9 }),
        ts("Webhook Requests", "Admission reviews per second", [q("sum(rate(webhook_requests_total[5m]))", "requests/s")], { width: 9 }),
      ],
    },
    {
      title: "Watch",
      panels: [
        ts("Namespace Health Scores", "Score per namespace", [q(`max by (namespace) (namespace_health_score{${NS}})`, "{{namespace}}")], { ...score, width: 10 }),
        ts("Pod Events Rate", "Pod watch events processed per second", [q("sum(rate(pod_events_total[5m]))", "events/s")]),
        stat("Pods Tracked", "Pods the watch leader currently scores", [q("max(pods_tracked_total)")]),
      ],
    },
    {
      title: "Reconcile",
      panels: [
        ts("Violations by Namespace", "Violations per namespace and policy", [q(`max by (namespace, policy) (devopspolicy_violations_total{${NS}})`, "{{namespace}}/{{policy}}")]),
        ts("Health Scores", "Score per namespace and policy", [q(`max by (namespace, policy) (devopspolicy_health_score{${NS}})`, "{{namespace}}/{{policy}}")], score),
        ts("Reconcile Rate", "Reconciliations per second", [q("sum(rate(devopspolicy_reconcile_total[5m]))", "reconciles/s")]),
        ts("Reconcile Errors", "Failed reconciliations per second", [q("sum(rate(devopspolicy_reconcile_errors_total[5m]))", "errors/s")]),
        ts("Reconcile Duration", "Reconcile latency quantiles", [
          q("histogram_quantile(0.99, sum by (le) (rate(devopspolicy_reconcile_duration_seconds_bucket[5m])))", "p99"),
          q("histogram_quantile(0.5, sum by (le) (rate(devopspolicy_reconcile_duration_seconds_bucket[5m])))", "p50"),
        ], { unit: "s" }),
        stat("Pods Scanned", "Pods evaluated across all reconciliations", [q("sum(devopspolicy_pods_scanned_total)")], { width: 8 }),
        ts("Remediations Applied", "Workload patches applied per second (enforce mode)", [q("sum(rate(devopspolicy_remediations_applied_total[5m]))", "applied/s")]),
        ts("Remediations Failed", "Workload patches that failed per second", [q("sum(rate(devopspolicy_remediations_failed_total[5m]))", "failed/s")]),
        stat("Enforcement Mode", "Policies in enforce mode (1) or audit mode (0)", [q(`max by (namespace, policy) (devopspolicy_enforcement_mode{${NS}})`, "{{namespace}}/{{policy}}")], { width: 8 }),
      ],
    },
    {
      title: "Webhook",
      panels: [
        ts("Allow/Deny Rate", "Admission verdicts per second; dry runs (kubectl diff, --dry-run=server, Argo CD's diffs) are included, and drawn apart as the dry run series", [
          q("sum by (allowed) (rate(webhook_requests_total[5m]))", "allowed={{allowed}}"),
          q("sum by (allowed) (rate(webhook_dry_run_requests_total[5m]))", "dry run, allowed={{allowed}}"),
        ]),
        ts("Denial Breakdown", "Denials per second by violation (writes only: dry runs persist nothing and are not counted)", [q(`sum by (violation) (rate(webhook_denials_total{${NS}}[5m]))`, "{{violation}}")]),
        ts("Request Latency", "Admission latency quantiles (the API server times out at the VWC's timeoutSeconds)", [
          q("histogram_quantile(0.99, sum by (le) (rate(webhook_request_duration_seconds_bucket[5m])))", "p99"),
          q("histogram_quantile(0.5, sum by (le) (rate(webhook_request_duration_seconds_bucket[5m])))", "p50"),
        ], { unit: "s" }),
        ts("Warnings", "Admission warnings per second by violation (below the policy's admission threshold; dry runs not counted)", [q(`sum by (violation) (rate(webhook_warnings_total{${NS}}[5m]))`, "{{violation}}")], { width: 6 }),
        ts("Exemptions", "Findings waived per second by a devops.stochastic.io/exempt* annotation (neither denied nor warned), by violation; dry runs not counted", [q(`sum by (violation) (rate(webhook_exemptions_total{${NS}}[5m]))`, "{{violation}}")], { width: 6 }),
        ts("Fail-open Errors", "Requests allowed because of an internal error", [q("sum by (reason) (rate(webhook_errors_total[5m]))", "{{reason}}")], { width: 6 }),
        stat("Certificate Expiry", "Time left on the webhook's certificates", [q("min by (certificate) (webhook_certificate_expiration_timestamp_seconds) - time()", "{{certificate}}")], {
          unit: "s",
          width: 6,
          steps: [
            { color: "red", value: null },
            { color: "orange", value: 3 * 86400 },
            { color: "green", value: 14 * 86400 },
          ],
        }),
      ],
    },
    {
      title: "Severity & Audit",
      panels: [
        ts("Violations by Severity", "Violations by severity, across the policies of the selected namespaces", [q(`sum by (severity) (devopspolicy_violations_by_severity{${NS}})`, "{{severity}}")], { width: 10 }),
        ts("Audit Results Over Time", "PolicyAuditResults created per hour", [q("sum(increase(devopspolicy_audit_results_total[1h]))", "audit results/h")]),
        stat("Critical Violations", "Critical-severity violations, across the policies of the selected namespaces", [q(`sum(devopspolicy_violations_by_severity{severity="critical",${NS}})`)], { steps: COUNT_STEPS }),
      ],
    },
    {
      title: "Leader Election",
      panels: [
        stat("Leaders", "Replicas holding each component's lease (1 is healthy; 0 means no leader)", [q("sum by (component) (kube_devops_leader_status)", "{{component}}")], {
          width: 6,
          steps: [
            { color: "red", value: null },
            { color: "green", value: 1 },
            { color: "red", value: 2 },
          ],
        }),
        ts("Leader by Pod", "Which replica holds each lease", [q("kube_devops_leader_status", "{{component}} {{pod}}")], { width: 9 }),
        ts("Leader Transitions", "Lease acquisitions per hour", [q("sum by (component) (increase(kube_devops_leader_transitions_total[1h]))", "{{component}}")], { width: 9 }),
      ],
    },
  ];
}

function renderPanel(spec: PanelSpec, id: number, x: number, y: number): Panel {
  const defaults: Record<string, unknown> = { unit: spec.unit ?? "none" };
  if (spec.min !== undefined) defaults.min = spec.min;
  if (spec.max !== undefined) defaults.max = spec.max;
  if (spec.steps) defaults.thresholds = { mode: "absolute", steps: spec.steps };
  if (spec.kind === "stat" && spec.steps) defaults.color = { mode: "thresholds" };
  return {
    id,
    type: spec.kind,
    title: spec.title,
    description: spec.description,
    datasource: DATASOURCE,
    gridPos: { h: spec.height ?? 8, w: spec.width, x, y },
    fieldConfig: { defaults, overrides: [] },
    options:
      spec.kind === "stat"
        ? { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "value", graphMode: "area", textMode: "auto" }
        : { legend: { displayMode: "list", placement: "bottom", showLegend: true }, tooltip: { mode: "multi", sort: "desc" } },
    targets: spec.targets.map((t, i) => ({
      datasource: DATASOURCE,
      refId: String.fromCharCode(65 + i),
      expr: t.expr,
      ...(t.legend ? { legendFormat: t.legend } : {}),
    })),
  };
}

/** Lays the rows out: each row header takes a full-width line, its panels flow left to right. */
export function renderDashboard(): Dashboard {
  const panels: (Panel | RowPanel)[] = [];
  let id = 0;
  let y = 0;
  for (const row of dashboardRows()) {
    panels.push({ id: id++, type: "row", title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    let x = 0;
    let lineHeight = 0;
    for (const panel of row.panels) {
      if (x + panel.width > 24) {
        y += lineHeight;
        x = 0;
        lineHeight = 0;
      }
      panels.push(renderPanel(panel, id++, x, y));
      x += panel.width;
      lineHeight = Math.max(lineHeight, panel.height ?? 8);
    }
    y += lineHeight;
  }
  return {
    uid: DASHBOARD_UID,
    title: "kube-devops Observability",
    description: "Governance score, policy reconciliation, admission webhook and leader election of kube-devops",
    tags: ["kubernetes", "kube-devops"],
    timezone: "browser",
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: "30s",
    time: { from: "now-1h", to: "now" },
    templating: {
      list: [{ name: "datasource", label: "Data source", type: "datasource", query: "prometheus", refresh: 1, hide: 0 }, NAMESPACE_VARIABLE],
    },
    annotations: { list: [] },
    links: [],
    panels,
  };
}

/** Every PromQL expression of the dashboard (for the metric-name test). */
export function dashboardExpressions(): string[] {
  return dashboardRows().flatMap((r) => r.panels.flatMap((p) => p.targets.map((t) => t.expr)));
}

/** The dashboard in a ConfigMap the Grafana sidecar picks up (`grafana_dashboard: "1"`). */
export function renderDashboardConfigMap(options: DeployOptions): IConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: DASHBOARD_CONFIGMAP,
      namespace: options.namespace,
      labels: { ...objectLabels(options), grafana_dashboard: "1" },
    },
    data: { [DASHBOARD_KEY]: `${JSON.stringify(renderDashboard(), null, 2)}\n` },
  };
}
