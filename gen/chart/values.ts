/**
 * @module
 * The chart's `values.yaml` (commented defaults, the same defaults as `deploy generate-all`) and
 * `values.schema.json` (Helm validates values against it on install/upgrade/template).
 */
import { RECONCILE_SETTING_KEYS, RECONCILE_SETTINGS, type ReconcileSetting, type ReconcileSettingKey } from "../../lib/operator/settings.ts";
import { COMPONENTS, type Component, REPORTS_SETTINGS } from "../../lib/rbac/permissions.ts";
import { METRICS_AUTH_MODES } from "../../lib/webhook/constants.ts";
import { QUANTITY_PATTERN } from "../../lib/policy/schema.ts";
import { SCRAPE_INTERVAL_PATTERN } from "../deploy-args.ts";
import { PINNED_FLAGS, pinnedFlagPattern } from "../pinned-flags.ts";
import { CERT_MODES, DEFAULT_RESOURCES } from "../options.ts";

const QUANTITY = QUANTITY_PATTERN.source;

/** A duration `reconcile` reads (lib/duration.ts), written with units: 30s, 1m30s, 500ms. */
const DURATION_TOKEN = "\\d+(\\.\\d+)?(ms|s|m|h)";
const DURATION = `^(${DURATION_TOKEN})+$`;
/** The same, at least 1s: one part is a whole number of at least 1 in h, m or s (0.5m, 1500ms are refused). */
const DURATION_1S = `^(${DURATION_TOKEN})*0*[1-9]\\d*(\\.\\d+)?(h|m|s)(${DURATION_TOKEN})*$`;

/**
 * Where an operator setting lives in values.yaml: `reconcile.<setting>`, except the audit
 * retention, which keeps the reference chart's `auditResults.retention` so its values files keep
 * working (the reference ignored it: W-R7).
 */
export function reconcileValuePath(key: ReconcileSettingKey): string {
  return key === "auditRetention" ? "auditResults.retention" : `reconcile.${key}`;
}

/** `# --flag (at least N): what it does.` */
function settingComment(key: ReconcileSettingKey): string {
  const s: ReconcileSetting = RECONCILE_SETTINGS[key];
  const min = s.kind === "duration" ? (s.minMs > 0 ? ` (at least ${s.minMs / 1000}s)` : "") : s.min > 0 ? ` (at least ${s.min})` : "";
  return `# --${s.flag}${min}: ${s.description}.`;
}

function settingSchema(key: ReconcileSettingKey): Record<string, unknown> {
  const s: ReconcileSetting = RECONCILE_SETTINGS[key];
  if (s.kind === "count") return { type: "integer", minimum: s.min };
  // a pattern can hold only these two bounds; another one needs another pattern, not a silent pass
  if (s.minMs !== 0 && s.minMs !== 1000) throw new Error(`chart: no duration pattern for a minimum of ${s.minMs} ms (--${s.flag})`);
  return { type: "string", pattern: s.minMs === 0 ? DURATION : DURATION_1S };
}

/** Flags of each component the chart does not set, as examples for `extraArgs`. */
const UNMODELLED_FLAGS: Record<Component, string> = {
  watch: "--page-size, --ready-staleness, --qps, --lease-duration",
  reconcile: "--qps, --burst, --lease-duration",
  webhook: "--qps, --burst, --cert-check-interval",
};

function extraArgsLines(c: Component): string {
  return [
    `  # More flags after the generated ones, as given: for those this chart does not set (${UNMODELLED_FLAGS[c]}).`,
    "  # A flag given again here overrides the generated value (the last one counts), except those",
    `  # other objects depend on, which the schema refuses: ${PINNED_FLAGS[c].map((p) => p.flag).join(", ")}.`,
    "  extraArgs: []",
  ].join("\n");
}

/** `<component>.metricsAuth`, the same key and default for all three (decision 0029). */
function metricsAuthLines(c: Component): string {
  const command = c === "webhook" ? "webhook serve" : c;
  return [
    `  # Who may read its /metrics (${command} --metrics-auth). kubernetes: a bearer token the API server`,
    "  # accepts, of an identity allowed to get /metrics; adds TokenReview and SubjectAccessReview create",
    "  # to its ClusterRole, and the kube-devops-metrics-reader ClusterRole, ServiceAccount and token",
    "  # Secret the ServiceMonitor scrapes with.",
    ...(c === "webhook"
      ? ["  # none: anyone who reaches the Service reads it (the reference's behaviour)."]
      : [
          "  # Served over HTTPS then: with webhook.certificate.mode cert-manager, a certificate cert-manager",
          "  # issues and the ServiceMonitor verifies; else one made at start that the ServiceMonitor does not.",
          "  # none: plain HTTP, anyone who reaches the Service reads it (the reference's behaviour).",
        ]),
    "  metricsAuth: kubernetes",
  ].join("\n");
}

const operatorSettings = RECONCILE_SETTING_KEYS.filter((k) => reconcileValuePath(k).startsWith("reconcile."));

function indent(text: string, spaces: number): string {
  return text
    .split("\n")
    .map((l) => (l === "" ? l : `${" ".repeat(spaces)}${l}`))
    .join("\n");
}

/** values.yaml with a comment on every key. */
export function renderValuesYaml(imageRepository: string): string {
  const resources = (c: Component) => {
    const r = DEFAULT_RESOURCES[c];
    return ["resources:", "  requests:", `    cpu: ${r.requests.cpu}`, `    memory: ${r.requests.memory}`, "  limits:", `    cpu: ${r.limits.cpu}`, `    memory: ${r.limits.memory}`].join("\n");
  };
  const component = (name: Component, what: string, extra = "") =>
    [`# ${what}`, `${name}:`, "  # Replicas; 2 spread across nodes survive a node drain (PodDisruptionBudget maxUnavailable 1).", "  replicas: 2", indent(resources(name), 2), extra, metricsAuthLines(name), extraArgsLines(name)]
      .filter((l) => l !== "")
      .join("\n");
  return `${[
    "# kube-devops Helm chart values. Every object is rendered by kube-devops's own generators",
    "# (kube-devops deploy generate-all); the namespace is the release namespace.",
    "",
    "image:",
    `  repository: ${imageRepository}`,
    '  # Defaults to "v" + the chart\'s appVersion.',
    '  tag: ""',
    "  pullPolicy: IfNotPresent",
    "",
    "# Install/upgrade the DevOpsPolicy and PolicyAuditResult CRDs (kept on uninstall).",
    "crds:",
    "  install: true",
    "",
    "# Honour devops.stochastic.io/exempt annotations in scores, policy status and admission. false",
    "# (--no-exemptions on every component): developers cannot exempt their own workloads.",
    "exemptions: true",
    "",
    component("watch", "Watch controller: live cluster and namespace health scores (leader-elected)."),
    "",
    component(
      "reconcile",
      "DevOpsPolicy operator: status, audit history, enforcement (leader-elected).",
      [
        "  # One report per DevOpsPolicy for Policy Reporter and other report consumers: wgpolicyk8s",
        "  # (wgpolicyk8s.io/v1alpha2 PolicyReport), openreports (openreports.io/v1alpha1 Report) or none.",
        "  # Needs that report CRD in the cluster; adds get/create/update on it to the operator's ClusterRole.",
        "  reports: none",
        "  # The operator's tunables, passed on as its flags (kube-devops reconcile --help).",
        ...operatorSettings.flatMap((k) => [indent(settingComment(k), 2), `  ${k}: ${RECONCILE_SETTINGS[k].default}`]),
      ].join("\n"),
    ),
    "",
    "# The operator's audit history: PolicyAuditResults per DevOpsPolicy (the reference chart's key).",
    "auditResults:",
    indent(settingComment("auditRetention"), 2),
    `  retention: ${RECONCILE_SETTINGS.auditRetention.default}`,
    "",
    component(
      "webhook",
      "Validating admission webhook.",
      [
        "  # Ignore = fail open: an unavailable webhook never blocks the cluster.",
        "  failurePolicy: Ignore",
        "  # The API server's timeout per call (1-30 s); keep it at or below 3 s.",
        "  timeoutSeconds: 3",
        "  # Namespaces never sent to the webhook, besides kube-system, kube-public, kube-node-lease",
        "  # and the release namespace.",
        "  excludedNamespaces: []",
        "  certificate:",
        "    # self-managed: the webhook creates, renews and hot-reloads its certificate and keeps the",
        "    # webhook configuration's caBundle current. cert-manager: a cert-manager Certificate does,",
        "    # and watch's and reconcile's /metrics (metricsAuth kubernetes) get one from the same CA.",
        "    mode: self-managed",
      ].join("\n"),
    ),
    "",
    "podDisruptionBudget:",
    "  enabled: true",
    "",
    "monitoring:",
    "  # Labels your Prometheus selects ServiceMonitors and PrometheusRules by (e.g. release: prometheus).",
    "  labels: {}",
    "  interval: 30s",
    "  # ServiceMonitor and PrometheusRule need the prometheus-operator CRDs.",
    "  serviceMonitor:",
    "    enabled: false",
    "  prometheusRule:",
    "    enabled: false",
    '  # A ConfigMap labelled grafana_dashboard: "1" for the Grafana dashboard sidecar.',
    "  grafanaDashboard:",
    "    enabled: true",
  ].join("\n")}\n`;
}

const toggle = { type: "object", additionalProperties: false, required: ["enabled"], properties: { enabled: { type: "boolean" } } };

function resourcesSchema(): Record<string, unknown> {
  const quantity = { type: ["string", "number"], pattern: QUANTITY, minimum: 0 };
  const pair = { type: "object", additionalProperties: false, properties: { cpu: quantity, memory: quantity } };
  return { type: "object", additionalProperties: false, properties: { requests: pair, limits: pair } };
}

function componentSchema(component: Component, extra: Record<string, unknown> = {}, required: string[] = []): Record<string, unknown> {
  // a flag other objects depend on (gen/pinned-flags.ts) is the chart's to set, never extraArgs'
  const extraArg = { type: "string", not: { type: "string", pattern: pinnedFlagPattern(component) }, description: `not ${PINNED_FLAGS[component].map((p) => p.flag).join(", ")}: the chart sets those` };
  return {
    type: "object",
    additionalProperties: false,
    required: ["replicas", "resources", "metricsAuth", ...required],
    properties: { replicas: { type: "integer", minimum: 0, maximum: 100 }, resources: resourcesSchema(), metricsAuth: { enum: [...METRICS_AUTH_MODES] }, extraArgs: { type: "array", items: extraArg }, ...extra },
  };
}

/** JSON Schema (draft-07) of values.yaml; unknown keys are rejected so typos fail at install. */
export function renderValuesSchema(): Record<string, unknown> {
  const components = Object.fromEntries(
    COMPONENTS.map((c) => [
      c,
      c === "webhook"
        ? componentSchema(c, {
            failurePolicy: { enum: ["Ignore", "Fail"] },
            timeoutSeconds: { type: "integer", minimum: 1, maximum: 30 },
            excludedNamespaces: { type: "array", items: { type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", maxLength: 63 }, uniqueItems: true },
            certificate: { type: "object", additionalProperties: false, required: ["mode"], properties: { mode: { enum: [...CERT_MODES] } } },
          })
        : c === "reconcile"
          ? componentSchema(c, { reports: { enum: [...REPORTS_SETTINGS] }, ...Object.fromEntries(operatorSettings.map((k) => [k, settingSchema(k)])) }, operatorSettings)
          : componentSchema(c),
    ]),
  );
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "kube-devops chart values",
    type: "object",
    additionalProperties: false,
    required: ["image", ...COMPONENTS, "auditResults"],
    properties: {
      image: {
        type: "object",
        additionalProperties: false,
        required: ["repository"],
        properties: { repository: { type: "string", minLength: 1 }, tag: { type: "string" }, pullPolicy: { enum: ["IfNotPresent", "Always", "Never"] } },
      },
      crds: { type: "object", additionalProperties: false, properties: { install: { type: "boolean" } } },
      exemptions: { type: "boolean" },
      ...components,
      auditResults: { type: "object", additionalProperties: false, required: ["retention"], properties: { retention: settingSchema("auditRetention") } },
      podDisruptionBudget: toggle,
      monitoring: {
        type: "object",
        additionalProperties: false,
        properties: {
          labels: { type: "object", additionalProperties: { type: "string" } },
          interval: { type: "string", pattern: SCRAPE_INTERVAL_PATTERN.source },
          serviceMonitor: toggle,
          prometheusRule: toggle,
          grafanaDashboard: toggle,
        },
      },
      global: { type: "object" },
    },
  };
}
