/**
 * @module
 * The three component Deployments and their PodDisruptionBudgets: hardened pods (non-root 65532,
 * read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp), spread across
 * nodes and zones, probes on the real endpoints, lease identity from the downward API.
 */
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IProbe } from "kubernetes-models/v1/Probe";
import type { ITopologySpreadConstraint } from "kubernetes-models/v1/TopologySpreadConstraint";
import type { IVolume } from "kubernetes-models/v1/Volume";
import type { IVolumeMount } from "kubernetes-models/v1/VolumeMount";
import { RECONCILE_SETTING_KEYS, RECONCILE_SETTINGS } from "../lib/operator/settings.ts";
import { COMPONENTS, type Component } from "../lib/rbac/permissions.ts";
import { hasCertManagerMetricsCertificate, metricsCertificateSecret } from "./cert-manager.ts";
import { APP_NAME, componentName, type DeployOptions, objectLabels, selectorLabels } from "./options.ts";

/** The port each component serves `/healthz`, `/readyz` and `/metrics` on (reference §6.3). */
export const COMPONENT_PORTS: Record<Component, { name: string; port: number }> = {
  watch: { name: "metrics", port: 8080 },
  reconcile: { name: "metrics", port: 9090 },
  webhook: { name: "https", port: 8443 },
};

/**
 * What that port speaks: the webhook always HTTPS (admission needs it); watch and reconcile HTTPS
 * with `--metrics-auth kubernetes` (a bearer token never crosses plain HTTP), else the reference's
 * plain HTTP (decision 0029).
 */
export function componentScheme(options: DeployOptions, component: Component): "HTTP" | "HTTPS" {
  return component === "webhook" || options.metricsAuth[component] === "kubernetes" ? "HTTPS" : "HTTP";
}

/** Where the webhook's TLS Secret is mounted (the Secret's `tls.crt`/`tls.key`/`ca.crt`). */
export const WEBHOOK_TLS_DIR = "/tls";
/** Where watch's and reconcile's cert-manager metrics Secret is mounted (cert-manager mode, authorized metrics). */
export const METRICS_TLS_DIR = "/metrics-tls";

/** lib/kube/lifecycle.ts's bound on a graceful shutdown after SIGTERM (its default graceMs). */
export const SHUTDOWN_BOUND_SECONDS = 25;
/** The webhook sleeps this long in preStop so the API server stops routing to it first. */
export const WEBHOOK_PRESTOP_SLEEP_SECONDS = 5;

/**
 * Seconds between the start of termination and SIGKILL: the kubelet counts the preStop hook in
 * it, then the process gets SIGTERM and at most SHUTDOWN_BOUND_SECONDS to stop loops, release its
 * lease and drain HTTP; 5 s more of margin so a bounded shutdown is never SIGKILLed (W-P1).
 */
export function terminationGraceSeconds(component: Component): number {
  return (component === "webhook" ? WEBHOOK_PRESTOP_SLEEP_SECONDS : 0) + SHUTDOWN_BOUND_SECONDS + 5;
}

/** The command line of a component's container (the image's entrypoint is the binary). */
export function componentArgs(options: DeployOptions, component: Component): string[] {
  // written out even at its default, so each Deployment shows whether developers can exempt themselves
  const common = [options.exemptions ? "--exemptions" : "--no-exemptions", "--log-format", "json"];
  const extra = options.extraArgs[component];
  // written out even at its default, so each Deployment shows who may read /metrics
  const metricsAuth = ["--metrics-auth", options.metricsAuth[component]];
  // cert-manager's certificate for /metrics, reloaded when the kubelet refreshes the Secret; else one made at start
  if (hasCertManagerMetricsCertificate(options, component)) metricsAuth.push("--metrics-tls-cert", `${METRICS_TLS_DIR}/tls.crt`, "--metrics-tls-key", `${METRICS_TLS_DIR}/tls.key`);
  switch (component) {
    case "watch":
      return ["watch", ...metricsAuth, ...common, ...extra];
    case "reconcile": {
      // every tunable is written out, so the Deployment shows what the operator runs with
      const settings = RECONCILE_SETTING_KEYS.flatMap((k) => [`--${RECONCILE_SETTINGS[k].flag}`, String(options.reconcile[k])]);
      return ["reconcile", ...settings, ...(options.reports === "none" ? [] : ["--reports", options.reports]), ...metricsAuth, ...common, ...extra];
    }
    case "webhook": {
      // self-managed: the webhook writes and renews its own Secret; cert-manager: it only reads the mounted files
      const selfManaged = options.webhook.certMode === "self-managed" ? "--self-managed" : "--no-self-managed";
      return ["webhook", "serve", selfManaged, "--tls-cert", `${WEBHOOK_TLS_DIR}/tls.crt`, "--tls-key", `${WEBHOOK_TLS_DIR}/tls.key`, ...metricsAuth, ...common, ...extra];
    }
  }
}

/** The kubelet does not verify a probe's certificate, so HTTPS probes need nothing more. */
function probe(options: DeployOptions, component: Component, path: string, periodSeconds: number, failureThreshold: number): IProbe {
  return { httpGet: { path, port: COMPONENT_PORTS[component].name, scheme: componentScheme(options, component) }, periodSeconds, timeoutSeconds: 2, failureThreshold };
}

function renderContainer(options: DeployOptions, component: Component): IContainer {
  const port = COMPONENT_PORTS[component];
  const mounts: IVolumeMount[] = [{ name: "tmp", mountPath: "/tmp" }];
  if (component === "webhook") mounts.push({ name: "tls", mountPath: WEBHOOK_TLS_DIR, readOnly: true });
  if (hasCertManagerMetricsCertificate(options, component)) mounts.push({ name: "metrics-tls", mountPath: METRICS_TLS_DIR, readOnly: true });
  const fieldEnv = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });
  return {
    name: APP_NAME,
    image: options.image,
    imagePullPolicy: options.imagePullPolicy,
    args: componentArgs(options, component),
    env: [fieldEnv("POD_NAME", "metadata.name"), fieldEnv("POD_NAMESPACE", "metadata.namespace")],
    ports: [{ name: port.name, containerPort: port.port, protocol: "TCP" }],
    // startup gives a slow first list up to 2 minutes before liveness may restart the pod
    startupProbe: probe(options, component, "/healthz", 5, 24),
    livenessProbe: probe(options, component, "/healthz", 10, 3),
    readinessProbe: probe(options, component, "/readyz", 5, 2),
    resources: options.resources[component],
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
    ...(component === "webhook" ? { lifecycle: { preStop: { sleep: { seconds: WEBHOOK_PRESTOP_SLEEP_SECONDS } } } } : {}),
    volumeMounts: mounts,
  };
}

function renderVolumes(options: DeployOptions, component: Component): IVolume[] {
  const volumes: IVolume[] = [{ name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } }];
  if (component === "webhook") {
    // self-managed: the webhook creates the Secret itself, so the pod must start before it exists
    const optional = options.webhook.certMode === "self-managed";
    volumes.push({ name: "tls", secret: { secretName: options.names.webhookSecret, defaultMode: 0o440, optional } });
  }
  // not optional: the pod waits for cert-manager's first issue rather than serving a certificate nobody verifies
  if (hasCertManagerMetricsCertificate(options, component)) volumes.push({ name: "metrics-tls", secret: { secretName: metricsCertificateSecret(component), defaultMode: 0o440 } });
  return volumes;
}

/** One component's Deployment. */
export function renderDeployment(options: DeployOptions, component: Component): IDeployment {
  const selector = selectorLabels(component);
  const spread = (topologyKey: string, whenUnsatisfiable: "DoNotSchedule" | "ScheduleAnyway"): ITopologySpreadConstraint => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable,
    labelSelector: { matchLabels: selector },
    matchLabelKeys: ["pod-template-hash"],
    nodeTaintsPolicy: "Honor",
  });
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: componentName(component), namespace: options.namespace, labels: objectLabels(options, component) },
    spec: {
      replicas: options.replicas[component],
      revisionHistoryLimit: 5,
      selector: { matchLabels: selector },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: { ...objectLabels(options, component), ...selector } },
        spec: {
          serviceAccountName: componentName(component),
          automountServiceAccountToken: true,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: terminationGraceSeconds(component),
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            fsGroup: 65532,
            seccompProfile: { type: "RuntimeDefault" },
          },
          topologySpreadConstraints: [spread("kubernetes.io/hostname", "DoNotSchedule"), spread("topology.kubernetes.io/zone", "ScheduleAnyway")],
          containers: [renderContainer(options, component)],
          volumes: renderVolumes(options, component),
        },
      },
    },
  };
}

/** One component's PodDisruptionBudget: at most one replica down by eviction. */
export function renderPodDisruptionBudget(options: DeployOptions, component: Component): IPodDisruptionBudget {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: componentName(component), namespace: options.namespace, labels: objectLabels(options, component) },
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: selectorLabels(component) },
      // a replica that is not Ready must never block a node drain (reference W-R6)
      unhealthyPodEvictionPolicy: "AlwaysAllow",
    },
  };
}

/** Deployments then PDBs, for every component. */
export function renderWorkloads(options: DeployOptions): (IDeployment | IPodDisruptionBudget)[] {
  return [...COMPONENTS.map((c) => renderDeployment(options, c)), ...COMPONENTS.map((c) => renderPodDisruptionBudget(options, c))];
}
