/**
 * @module
 * What enforcement may inject, and the keys that steer it. Values follow the
 * reference (probe delay 5 s / period 10 s; 100m/128Mi requests, a 500m CPU
 * limit) with conservative thresholds so an injected liveness probe cannot
 * kill a slow-starting process quickly. There is no default memory limit: the
 * reference's 256Mi OOM-killed whatever needed more (W-E3); a memory limit is
 * added only when the policy names one (docs/decisions/0010).
 */

/** Pod-template annotation stamped on every enforced workload (reference §2.3). */
export const PATCHED_BY_ANNOTATION = "devops.stochastic.io/patched-by";
export const PATCHED_BY_VALUE = "kube-devops-operator";
/** Workload annotation that opts a workload out of enforcement. */
export const ENFORCE_ANNOTATION = "devops.stochastic.io/enforce";

export const DEFAULT_PROBE_TIMING = { initialDelaySeconds: 5, periodSeconds: 10 } as const;
export const READINESS_THRESHOLDS = { timeoutSeconds: 3, failureThreshold: 3, successThreshold: 1 } as const;
/** Six failures at the period before a restart: about a minute with the defaults. */
export const LIVENESS_THRESHOLDS = { timeoutSeconds: 5, failureThreshold: 6, successThreshold: 1 } as const;
/**
 * The startup probe that comes with an injected liveness probe: the kubelet holds liveness back
 * until the port first answers, for up to 30 periods (5 minutes with the default 10 s), so a
 * process that starts slowly is not killed in a loop before it ever listened.
 */
export const STARTUP_THRESHOLDS = { timeoutSeconds: 5, failureThreshold: 30, successThreshold: 1 } as const;

export const DEFAULT_RESOURCES = {
  cpuRequest: "100m",
  memoryRequest: "128Mi",
  cpuLimit: "500m",
} as const;

/** Workload kinds enforcement patches (apps/v1), with their lowercase key prefix. */
export const ENFORCEABLE_KINDS = ["Deployment", "StatefulSet", "DaemonSet"] as const;
export type EnforceableKind = (typeof ENFORCEABLE_KINDS)[number];
