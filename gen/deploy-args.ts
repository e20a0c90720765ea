/**
 * @module
 * The flags `deploy` and `observability` share, and their validation into DeployOptions. Pure:
 * bad values become usage errors that name the flag.
 */
import type { ArgsDef } from "citty";
import { usageError } from "../lib/errors.ts";
import { integerFlag } from "../lib/integer-flag.ts";
import { parseReconcileSetting, RECONCILE_SETTING_KEYS, RECONCILE_SETTINGS, type ReconcileSettings, reconcileSettingArgs } from "../lib/operator/settings.ts";
import { COMPONENTS, type Component, REPORTS_SETTINGS, type ReportsSetting } from "../lib/rbac/permissions.ts";
import { parseNamespaceFlag } from "../lib/resource-names.ts";
import { METRICS_AUTH_MODES, parseMetricsAuthMode, WEBHOOK_TIMEOUT_SECONDS, type MetricsAuthMode } from "../lib/webhook/constants.ts";
import { FAILURE_POLICIES, type FailurePolicy } from "./webhook-configuration.ts";
import { CERT_MODES, type CertMode, DEFAULT_NAMESPACE, defaultImage, type DeployOptions, resolveDeployOptions } from "./options.ts";

const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** `--metrics-auth` of all three components: what `deploy` grants and runs and `observability` scrapes with must agree. */
const metricsAuthArg = {
  "metrics-auth": {
    type: "enum",
    options: [...METRICS_AUTH_MODES],
    default: "kubernetes",
    description:
      "/metrics of watch, reconcile and webhook serve (their --metrics-auth): kubernetes = HTTPS and a bearer token of an identity allowed to get /metrics (metrics-reader ServiceAccount and token Secret, the ServiceMonitors send it); none = open (watch and reconcile over plain HTTP)",
  },
} satisfies ArgsDef;

const certModeArg = {
  "cert-mode": {
    type: "enum",
    options: [...CERT_MODES],
    default: "self-managed",
    description:
      "Certificates: self-managed = the webhook issues and renews its own, watch and reconcile make one at start for /metrics; cert-manager = cert-manager issues all of them (watch's and reconcile's only with --metrics-auth kubernetes), so ServiceMonitors verify every scrape; observability must be given the mode the install was deployed with (its ServiceMonitors read the Secrets that mode makes)",
  },
} satisfies ArgsDef;

export const namespaceArg = {
  namespace: { type: "string", alias: "n", default: DEFAULT_NAMESPACE, description: "Namespace the components run in", valueHint: "name" },
} satisfies ArgsDef;

/** What the ServiceAccounts and roles depend on (`generate-rbac` takes only these). */
export const rbacArgs = {
  ...namespaceArg,
  ...certModeArg,
  reports: { type: "enum", options: [...REPORTS_SETTINGS], default: "none", description: "Report format the operator writes (reconcile --reports; adds its RBAC grant), or none" },
  ...metricsAuthArg,
} satisfies ArgsDef;

/**
 * Where a command renders the Deployments (`generate-all`, `generate-deployments`): besides the
 * RBAC's flags, the image and replicas, and the operator's tunables — the binary's own flag names
 * and defaults, passed on to `reconcile`.
 */
export const workloadArgs = {
  ...namespaceArg,
  image: { type: "string", description: "Container image (default: ghcr.io/kube-devops/kube-devops:v<version>)", valueHint: "ref" },
  replicas: { type: "string", default: "2", description: "Replicas of each component", valueHint: "n" },
  ...rbacArgs,
  ...reconcileSettingArgs((description, flag) => `reconcile --${flag}: ${description}`),
  exemptions: {
    type: "boolean",
    default: true,
    description: "Components honour devops.stochastic.io/exempt annotations (--no-exemptions on watch, reconcile and webhook serve: developers cannot exempt their workloads)",
  },
} satisfies ArgsDef;

/** The webhook configuration's settings, as the chart's `webhook.*` values (`generate-all` prints the VWC). */
export const webhookConfigArgs = {
  "webhook-failure-policy": { type: "enum", options: [...FAILURE_POLICIES], default: "Ignore", description: "What the API server does when the webhook cannot answer: Ignore admits unchecked, Fail refuses the request" },
  "webhook-timeout-seconds": { type: "string", default: String(WEBHOOK_TIMEOUT_SECONDS), description: "API server timeout per webhook call (1-30; keep it at 3 or less)", valueHint: "seconds" },
  "webhook-exclude-namespaces": { type: "string", description: "More namespaces never sent to the webhook (comma-separated, repeatable)", valueHint: "ns,..." },
} satisfies ArgsDef;

/** What a PrometheusRule needs: where, and the labels a Prometheus selects it by. */
export const monitoringArgs = {
  ...namespaceArg,
  "monitor-labels": { type: "string", default: "", description: "Labels your Prometheus selects ServiceMonitors/PrometheusRules by, e.g. release=prometheus", valueHint: "k=v,..." },
} satisfies ArgsDef;

/** What ServiceMonitors need besides: how often, and how to authenticate to the webhook. */
export const scrapeArgs = {
  ...monitoringArgs,
  interval: { type: "string", default: "30s", description: "Scrape interval", valueHint: "duration" },
  ...metricsAuthArg,
  ...certModeArg,
} satisfies ArgsDef;

function parseCertMode(value: string | undefined): (typeof CERT_MODES)[number] {
  const mode = value ?? "self-managed";
  if (!(CERT_MODES as readonly string[]).includes(mode)) throw usageError(`--cert-mode "${mode}" must be one of ${CERT_MODES.join(", ")}`);
  return mode as (typeof CERT_MODES)[number];
}

function parseReplicas(value: string): Record<Component, number> {
  const n = integerFlag("--replicas", value, { min: 0, max: 100 });
  return Object.fromEntries(COMPONENTS.map((c) => [c, n])) as Record<Component, number>;
}

function parseImage(value: string): string {
  if (value === "" || /\s/.test(value)) throw usageError(`--image "${value}" is not an image reference`);
  return value;
}

/** `a=b,c=d` into labels; every key and value checked against Kubernetes label syntax. */
export function parseLabels(value: string, flag: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of value.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const eq = pair.indexOf("=");
    const key = eq > 0 ? pair.slice(0, eq) : "";
    const val = eq > 0 ? pair.slice(eq + 1) : "";
    if (!LABEL_KEY.test(key) || !LABEL_VALUE.test(val)) throw usageError(`${flag}: "${pair}" is not a valid key=value label`);
    labels[key] = val;
  }
  return labels;
}

/** One mode for every component (the chart can set them one by one). */
function parseMetricsAuth(value: string | undefined): Record<Component, MetricsAuthMode> {
  const mode = parseMetricsAuthMode(value ?? "kubernetes");
  return Object.fromEntries(COMPONENTS.map((c) => [c, mode])) as Record<Component, MetricsAuthMode>;
}

/**
 * A scrape interval from 1s to 2m30s in whole seconds (`30s`, `90s`, `1m`, `2m30s`): the alert
 * rules and the dashboard rate over 5m windows, which need two scrapes at least, and 0s is no
 * interval. A pattern, not arithmetic, so the chart's values schema holds the same bound.
 */
export const SCRAPE_INTERVAL_PATTERN = /^(([1-9]|[1-9][0-9]|1[0-4][0-9]|150)s|[12]m|1m([1-9]|[1-5][0-9])s|2m([1-9]|[12][0-9]|30)s)$/;

function parseScrapeInterval(value: string, flag: string): string {
  if (!SCRAPE_INTERVAL_PATTERN.test(value)) {
    throw usageError(`${flag} "${value}" must be a scrape interval from 1s to 2m30s in whole seconds, such as 30s or 1m: the alert rules and the dashboard rate over 5m windows, which need two scrapes at least`);
  }
  return value;
}

/** The operator's settings from `workloadArgs`, each checked as `reconcile` checks it. */
function parseReconcileSettings(args: Record<string, string | undefined>): ReconcileSettings {
  return Object.fromEntries(RECONCILE_SETTING_KEYS.map((k) => [k, parseReconcileSetting(k, args[RECONCILE_SETTINGS[k].flag] ?? String(RECONCILE_SETTINGS[k].default))])) as ReconcileSettings;
}

type DeployFlags = { namespace?: string; image?: string; replicas?: string; "cert-mode"?: string; reports?: string; "metrics-auth"?: string } & Record<string, string | boolean | undefined>;

/** `webhookConfigArgs` into the options' webhook settings; `excluded` are the values of every --webhook-exclude-namespaces. */
function parseWebhookSettings(args: DeployFlags, certMode: CertMode, excluded: readonly string[]): DeployOptions["webhook"] {
  const policy = typeof args["webhook-failure-policy"] === "string" ? args["webhook-failure-policy"] : "Ignore";
  if (!(FAILURE_POLICIES as readonly string[]).includes(policy)) throw usageError(`--webhook-failure-policy "${policy}" must be one of ${FAILURE_POLICIES.join(", ")}`);
  const timeout = typeof args["webhook-timeout-seconds"] === "string" ? args["webhook-timeout-seconds"] : String(WEBHOOK_TIMEOUT_SECONDS);
  return {
    certMode,
    failurePolicy: policy as FailurePolicy,
    timeoutSeconds: integerFlag("--webhook-timeout-seconds", timeout, { min: 1, max: 30 }),
    excludedNamespaces: [...new Set(excluded.map((ns) => parseNamespaceFlag(ns, "--webhook-exclude-namespaces")))],
  };
}

/**
 * Options for `deploy` from its flags (the operator's settings from `workloadArgs`, defaults when
 * absent); `excludedNamespaces` are the --webhook-exclude-namespaces values, collected from argv
 * by the caller because the flag repeats.
 */
export function parseDeployArgs(args: DeployFlags, version: string, excludedNamespaces: readonly string[] = []): DeployOptions {
  const certMode = parseCertMode(args["cert-mode"]);
  const reports = args.reports ?? "none";
  if (!(REPORTS_SETTINGS as readonly string[]).includes(reports)) throw usageError(`--reports "${reports}" must be one of ${REPORTS_SETTINGS.join(", ")}`);
  const text = Object.fromEntries(Object.entries(args).filter((e): e is [string, string] => typeof e[1] === "string"));
  return resolveDeployOptions(version, {
    namespace: parseNamespaceFlag(args.namespace ?? DEFAULT_NAMESPACE),
    image: parseImage(args.image ?? defaultImage(version)),
    replicas: parseReplicas(args.replicas ?? "2"),
    webhook: parseWebhookSettings(args, certMode, excludedNamespaces),
    metricsAuth: parseMetricsAuth(args["metrics-auth"]),
    reports: reports as ReportsSetting,
    reconcile: parseReconcileSettings(text),
    exemptions: args.exemptions !== false,
  });
}

/** Options for `observability` from its flags. */
export function parseMonitoringArgs(args: { namespace?: string; "monitor-labels"?: string; interval?: string; "metrics-auth"?: string; "cert-mode"?: string }, version: string): DeployOptions {
  const defaults = resolveDeployOptions(version);
  return resolveDeployOptions(version, {
    namespace: parseNamespaceFlag(args.namespace ?? DEFAULT_NAMESPACE),
    metricsAuth: parseMetricsAuth(args["metrics-auth"]),
    webhook: { ...defaults.webhook, certMode: parseCertMode(args["cert-mode"]) },
    monitoring: { labels: parseLabels(args["monitor-labels"] ?? "", "--monitor-labels"), interval: parseScrapeInterval(args.interval ?? "30s", "--interval") },
  });
}
