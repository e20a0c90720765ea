/**
 * @module
 * The webhook's shared names and ports: one place that cert-generate, install-config,
 * the server and the gen/ manifests (Service, Deployment, VWC) all read, so the
 * certificate's SANs, the Service and the VWC can never disagree (reference W-A2).
 */
import { NAMED_SYSTEM_NAMESPACES } from "../namespaces.ts";
import { usageError } from "../errors.ts";

/** Namespace the toolkit deploys into (the manifests' namespace; reference default was `default`). */
export const WEBHOOK_NAMESPACE = "kube-devops";
/** Service in front of the webhook pods; also the VWC's metadata.name. */
export const WEBHOOK_SERVICE_NAME = "kube-devops-webhook";
/** The webhook entry's name inside the VWC (reference wire contract). */
export const WEBHOOK_NAME = "validate.devops.stochastic.io";
/** Path the API server posts AdmissionReviews to. */
export const WEBHOOK_PATH = "/validate";
/** Port the Service exposes (named `https`); the VWC's clientConfig.service.port. */
export const WEBHOOK_SERVICE_PORT = 443;
/** Name of the Service port (and of the container port). */
export const WEBHOOK_PORT_NAME = "https";
/** Port the webhook container listens on (the Service's targetPort; reference port 8443). */
export const WEBHOOK_CONTAINER_PORT = 8443;
/** Secret holding `tls.crt`/`tls.key`/`ca.crt` for the webhook pods. */
export const WEBHOOK_TLS_SECRET = "kube-devops-webhook-tls";
/** Where the Deployment mounts the TLS Secret. */
export const WEBHOOK_TLS_DIR = "/tls";
/** API server timeout for one call; ≤ 3 s so a slow webhook never races lease renewals. */
export const WEBHOOK_TIMEOUT_SECONDS = 3;
/**
 * Namespaces the VWC never sends (besides our own): the control plane's, and the system
 * namespaces admission always admits that a selector can name (`kube-*` and `*-system` are
 * patterns it cannot). A call that can only be allowed is load for nothing, and under
 * failurePolicy Fail a webhook outage would block cert-manager's or monitoring's pods.
 */
export const WEBHOOK_EXCLUDED_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease", ...NAMED_SYSTEM_NAMESPACES] as const;

/** The DNS names a client may use for `<service>.<namespace>` inside the cluster. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

/**
 * How `webhook serve` guards `/metrics` (`--metrics-auth`, chart `webhook.metricsAuth`):
 * `kubernetes` asks the API server (TokenReview, then SubjectAccessReview for `get /metrics`),
 * `none` serves it to anyone who reaches the port, as the reference did (decision 0029).
 */
export const METRICS_AUTH_MODES = ["kubernetes", "none"] as const;
export type MetricsAuthMode = (typeof METRICS_AUTH_MODES)[number];

/** `--metrics-auth` as every command that takes it reads it: a usage error naming the value otherwise. */
export function parseMetricsAuthMode(value: string): MetricsAuthMode {
  if ((METRICS_AUTH_MODES as readonly string[]).includes(value)) return value as MetricsAuthMode;
  throw usageError(`Invalid --metrics-auth "${value}": expected one of ${METRICS_AUTH_MODES.join(", ")}`);
}
/** The non-resource path a scraper must be allowed to `get` (RBAC `nonResourceURLs`). */
export const METRICS_PATH = "/metrics";
