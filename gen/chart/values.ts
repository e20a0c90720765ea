/**
 * @module
 * The chart's `values.yaml` (commented defaults, the same defaults as `deploy generate-all`) and
 * `values.schema.json` (Helm validates values against it on install/upgrade/template).
 */
import { COMPONENTS, type Component, REPORTS_SETTINGS } from "../../lib/rbac/permissions.ts";
import { CERT_MODES, DEFAULT_RESOURCES } from "../options.ts";

const QUANTITY = "^[+-]?(\\d+(\\.\\d*)?|\\.\\d+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?\\d+))?$";

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
    [`# ${what}`, `${name}:`, "  # Replicas; 2 spread across nodes survive a node drain (PodDisruptionBudget maxUnavailable 1).", "  replicas: 2", indent(resources(name), 2), extra].filter((l) => l !== "").join("\n");
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
      ].join("\n"),
    ),
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
        "    # webhook configuration's caBundle current. cert-manager: a cert-manager Certificate does.",
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
  const pair = { type: "object", additionalProperties: false, properties: { cpu: { type: ["string", "number"], pattern: QUANTITY }, memory: { type: ["string", "number"], pattern: QUANTITY } } };
  return { type: "object", additionalProperties: false, properties: { requests: pair, limits: pair } };
}

function componentSchema(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "object",
    additionalProperties: false,
    required: ["replicas", "resources"],
    properties: { replicas: { type: "integer", minimum: 0, maximum: 100 }, resources: resourcesSchema(), ...extra },
  };
}

/** JSON Schema (draft-07) of values.yaml; unknown keys are rejected so typos fail at install. */
export function renderValuesSchema(): Record<string, unknown> {
  const components = Object.fromEntries(
    COMPONENTS.map((c) => [
      c,
      c === "webhook"
        ? componentSchema({
            failurePolicy: { enum: ["Ignore", "Fail"] },
            timeoutSeconds: { type: "integer", minimum: 1, maximum: 30 },
            excludedNamespaces: { type: "array", items: { type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", maxLength: 63 }, uniqueItems: true },
            certificate: { type: "object", additionalProperties: false, required: ["mode"], properties: { mode: { enum: [...CERT_MODES] } } },
          })
        : c === "reconcile"
          ? componentSchema({ reports: { enum: [...REPORTS_SETTINGS] } })
          : componentSchema(),
    ]),
  );
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "kube-devops chart values",
    type: "object",
    additionalProperties: false,
    required: ["image", ...COMPONENTS],
    properties: {
      image: {
        type: "object",
        additionalProperties: false,
        required: ["repository"],
        properties: { repository: { type: "string", minLength: 1 }, tag: { type: "string" }, pullPolicy: { enum: ["IfNotPresent", "Always", "Never"] } },
      },
      crds: { type: "object", additionalProperties: false, properties: { install: { type: "boolean" } } },
      ...components,
      podDisruptionBudget: toggle,
      monitoring: {
        type: "object",
        additionalProperties: false,
        properties: {
          labels: { type: "object", additionalProperties: { type: "string" } },
          interval: { type: "string", pattern: "^([0-9]+(ms|s|m|h))+$" },
          serviceMonitor: toggle,
          prometheusRule: toggle,
          grafanaDashboard: toggle,
        },
      },
      global: { type: "object" },
    },
  };
}
