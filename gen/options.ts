/**
 * @module
 * The explicit inputs of every manifest generator, and their defaults. Generators never read
 * the environment or the clock: what differs between two outputs is in these options.
 */
import { DEFAULT_RECONCILE_SETTINGS, type ReconcileSettings } from "../lib/operator/settings.ts";
import { COMPONENTS, type Component, DEFAULT_OBJECT_NAMES, type ObjectNames, type ReportsSetting } from "../lib/rbac/permissions.ts";
import type { MetricsAuthMode } from "../lib/webhook/constants.ts";

/** The public image repository (never a private registry address: reference W-D3). */
export const DEFAULT_IMAGE_REPOSITORY = "ghcr.io/kube-devops/kube-devops";
export const DEFAULT_NAMESPACE = "kube-devops";
export const APP_NAME = "kube-devops";

/** Certificate modes a user picks (`--cert-mode`, chart `webhook.certificate.mode`). */
export const CERT_MODES = ["self-managed", "cert-manager"] as const;
/**
 * `provided`: certificates from `webhook cert-generate` files (`deploy generate-all --tls-dir`),
 * shipped as the Secret; the webhook only reads them (renewal is a re-run of cert-generate).
 */
export type CertMode = (typeof CERT_MODES)[number] | "provided";

export interface Resources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

const BASE_RESOURCES: Resources = {
  requests: { cpu: "50m", memory: "96Mi" },
  limits: { cpu: "500m", memory: "256Mi" },
};

/**
 * Sized from bench/results/REPORT.md (Bun 1.4.5; its "MB" are MiB, bench/lib/proc.ts) at the
 * 100k pods it measures: `reconcile` (1001 policies) holds 245–284 MB after its initial sync and
 * peaks at 290–302 MB (VmHWM), 59% of its 512Mi; `watch` peaks at 162–171 MB, 67% of its 256Mi.
 * `webhook serve` holds no pods (67 MB idle) and keeps 256Mi. Limits are set because our own
 * `missing_limits` check would flag us otherwise.
 */
export const DEFAULT_RESOURCES: Record<Component, Resources> = {
  watch: BASE_RESOURCES,
  reconcile: { requests: BASE_RESOURCES.requests, limits: { cpu: "500m", memory: "512Mi" } },
  webhook: BASE_RESOURCES,
};

export interface WebhookOptions {
  certMode: CertMode;
  failurePolicy: "Ignore" | "Fail";
  timeoutSeconds: number;
  /** Namespaces the API server never sends to the webhook, besides ours and the control plane's. */
  excludedNamespaces: string[];
}

export interface MonitoringOptions {
  /** Labels on ServiceMonitors/PrometheusRules so a Prometheus selects them (none by default). */
  labels: Record<string, string>;
  interval: string;
}

export interface DeployOptions {
  namespace: string;
  image: string;
  imagePullPolicy: "IfNotPresent" | "Always" | "Never";
  /** The version the manifests describe (`app.kubernetes.io/version`). */
  version: string;
  replicas: Record<Component, number>;
  resources: Record<Component, Resources>;
  /** Extra labels on every object (merged under the recommended `app.kubernetes.io/*` ones). */
  labels: Record<string, string>;
  /** Who manages the objects (`app.kubernetes.io/managed-by`): `kube-devops` or `Helm`. */
  managedBy: string;
  names: ObjectNames;
  webhook: WebhookOptions;
  monitoring: MonitoringOptions;
  /**
   * Each component's `--metrics-auth`: `kubernetes` adds its TokenReview/SubjectAccessReview
   * grants and its ServiceMonitor's bearer token (and, for watch and reconcile, HTTPS probes and
   * scrapes); while any component has it, the metrics-reader role, ServiceAccount and token Secret
   * are rendered too. `none` renders none of them (decision 0029).
   */
  metricsAuth: Record<Component, MetricsAuthMode>;
  /** `reconcile --reports`: the report format the operator writes (adds its RBAC grant), or none. */
  reports: ReportsSetting;
  /** The operator's tunables (`reconcile --requeue-interval` …), always written out in its args. */
  reconcile: ReconcileSettings;
  /** Flags appended to each component's args as given, after the generated ones (the last value of a flag wins). */
  extraArgs: Record<Component, string[]>;
  /**
   * Honour `devops.stochastic.io/exempt*` annotations: `--exemptions` or `--no-exemptions` on all
   * three components, so the score, the policy status and admission agree on what is exempt.
   */
  exemptions: boolean;
}

/** The image reference for a version: the public repository, tag `v<version>`. */
export function defaultImage(version: string): string {
  return `${DEFAULT_IMAGE_REPOSITORY}:v${version}`;
}

/** Fills every option not given with its default (2 replicas, public image, fail-open webhook). */
export function resolveDeployOptions(version: string, given: Partial<Omit<DeployOptions, "version">> = {}): DeployOptions {
  const perComponent = <T>(value: T): Record<Component, T> => Object.fromEntries(COMPONENTS.map((c) => [c, value])) as Record<Component, T>;
  return {
    namespace: given.namespace ?? DEFAULT_NAMESPACE,
    image: given.image ?? defaultImage(version),
    imagePullPolicy: given.imagePullPolicy ?? "IfNotPresent",
    version,
    replicas: given.replicas ?? perComponent(2),
    resources: given.resources ?? DEFAULT_RESOURCES,
    labels: given.labels ?? {},
    managedBy: given.managedBy ?? APP_NAME,
    names: given.names ?? DEFAULT_OBJECT_NAMES,
    webhook: given.webhook ?? { certMode: "self-managed", failurePolicy: "Ignore", timeoutSeconds: 3, excludedNamespaces: [] },
    metricsAuth: given.metricsAuth ?? perComponent<MetricsAuthMode>("kubernetes"),
    monitoring: given.monitoring ?? { labels: {}, interval: "30s" },
    reports: given.reports ?? "none",
    reconcile: given.reconcile ?? DEFAULT_RECONCILE_SETTINGS,
    extraArgs: given.extraArgs ?? perComponent([]),
    exemptions: given.exemptions ?? true,
  };
}

/** `kube-devops-<component>`: the name of a component's Deployment, Service, SA, roles and PDB. */
export function componentName(component: Component): string {
  return `${APP_NAME}-${component}`;
}

/** Labels that select a component's pods; stable across versions (Deployment selectors are immutable). */
export function selectorLabels(component: Component): Record<string, string> {
  return { "app.kubernetes.io/name": APP_NAME, "app.kubernetes.io/component": component };
}

/** The recommended labels of every object (reference anchors §5), plus the caller's. */
export function objectLabels(options: DeployOptions, component?: Component): Record<string, string> {
  return {
    ...options.labels,
    "app.kubernetes.io/name": APP_NAME,
    ...(component ? { "app.kubernetes.io/component": component } : {}),
    "app.kubernetes.io/part-of": APP_NAME,
    "app.kubernetes.io/version": options.version,
    "app.kubernetes.io/managed-by": options.managedBy,
  };
}
