/**
 * @module
 * The check registry: every governance check as one data entry (id, enabling
 * policy field, weight, default severity, scope, predicate, message). The ids
 * are the reference's violation types plus the two resource checks; weights,
 * severities and messages of the first five are the reference's wire contract.
 */
import type { DevOpsPolicySpec, Severity } from "../policy/schema.ts";
import type { ContainerLike, ContainerStatusLike, PodLike } from "../k8s-objects.ts";
import { usesLatestTag } from "./image-ref.ts";
import { missingResources } from "./resources.ts";

export const CHECK_IDS = [
  "latest_tag",
  "missing_liveness",
  "missing_readiness",
  "high_restarts",
  "pending",
  "missing_requests",
  "missing_limits",
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

/** Parameters a check set carries for the checks that take one. */
export interface CheckParams {
  /** high_restarts fires when restartCount is strictly greater. */
  maxRestartCount: number;
  /** pending fires after this many seconds Pending; 0 = any Pending pod (the reference). */
  pendingAfterSeconds: number;
}

interface CheckBase {
  id: CheckId;
  /** The DevOpsPolicy spec field that enables the check. */
  policyField: keyof DevOpsPolicySpec;
  /** The key under `severityOverrides`. */
  severityKey: keyof NonNullable<DevOpsPolicySpec["severityOverrides"]>;
  /** Penalty points per unit (reference §3.3 for the first five; docs/decisions/0003 for resources). */
  weight: number;
  defaultSeverity: Severity;
  /** Short label for reports. */
  title: string;
  /** What to change to pass, shown next to findings. */
  fix: string;
}

/** The checks over each container of the pod spec (which lists: pod-containers.ts). */
export type ContainerCheckId = "latest_tag" | "missing_liveness" | "missing_readiness" | "missing_requests" | "missing_limits";

/** A check over each container of the pod spec; the only kind that applies to pod templates. */
export interface ContainerCheck extends CheckBase {
  id: ContainerCheckId;
  scope: "container";
  /** `containerViolates(id, container)`; hot loops call that directly. */
  violates(container: ContainerLike): boolean;
  /** `subject` names the container's role: "container" (the reference's wording), "init container", … */
  message(containerName: string, container: ContainerLike, subject?: string): string;
}

/** A check over each entry of `status.containerStatuses` and `status.initContainerStatuses`, weighted by `units`. */
export interface StatusCheck extends CheckBase {
  scope: "containerStatus";
  violates(status: ContainerStatusLike, params: CheckParams): boolean;
  units(status: ContainerStatusLike): number;
  message(containerName: string, status: ContainerStatusLike, params: CheckParams, subject?: string): string;
}

/** A check over the whole pod (one finding at most, no container). */
export interface PodCheck extends CheckBase {
  scope: "pod";
  violates(pod: PodLike, params: CheckParams, now: number): boolean;
  message(pod: PodLike, params: CheckParams): string;
}

export type CheckDefinition = ContainerCheck | StatusCheck | PodCheck;

/** restartCount as a non-negative integer (malformed values count as 0). */
export function restartCountOf(status: ContainerStatusLike): number {
  const n = status.restartCount;
  return typeof n === "number" && Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

function timestampMs(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value !== "string") return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Pending longer than the threshold. A pod is Pending from its creation until it
 * runs, so its age is how long it has been Pending; with no creationTimestamp
 * the age is unknown and the pod is flagged, as the reference would. A pod with
 * `spec.schedulingGates` is not stuck but queued: its queue controller (Kueue's admission
 * gate, for one) holds it until there is room, which can take hours by design.
 */
function isPendingTooLong(pod: PodLike, params: CheckParams, now: number): boolean {
  if (pod.status?.phase !== "Pending") return false;
  const gates = pod.spec?.schedulingGates;
  if (Array.isArray(gates) && gates.length > 0) return false;
  if (params.pendingAfterSeconds <= 0) return true;
  const created = timestampMs(pod.metadata?.creationTimestamp);
  if (created === undefined) return true;
  return (now - created) / 1000 > params.pendingAfterSeconds;
}

/**
 * Every container predicate, by check id. The loops that run per container and check
 * (admission, evaluation) call this one function, which the JIT inlines, instead of each
 * check's own `violates` closure: a call site that sees five closures is megamorphic
 * (measured ~2.5% of the webhook's req/s in a concurrent A/B, both start orders).
 */
export function containerViolates(id: ContainerCheckId, c: ContainerLike): boolean {
  switch (id) {
    case "latest_tag":
      return usesLatestTag(c.image);
    case "missing_liveness":
      return c.livenessProbe === undefined || c.livenessProbe === null;
    case "missing_readiness":
      return c.readinessProbe === undefined || c.readinessProbe === null;
    case "missing_requests":
      return missingResources(c, "requests").length > 0;
    case "missing_limits":
      return missingResources(c, "limits").length > 0;
  }
}

export const LATEST_TAG: ContainerCheck = {
  id: "latest_tag",
  policyField: "forbidLatestTag",
  severityKey: "latestTag",
  weight: 5,
  defaultSeverity: "high",
  scope: "container",
  title: "Images using :latest",
  fix: "pin the image to a version tag or a digest",
  violates: (c) => containerViolates("latest_tag", c),
  message: (name, _c, subject = "container") => `${subject} '${name}' uses :latest tag`,
};

export const MISSING_LIVENESS: ContainerCheck = {
  id: "missing_liveness",
  policyField: "requireLivenessProbe",
  severityKey: "missingLiveness",
  weight: 3,
  defaultSeverity: "medium",
  scope: "container",
  title: "Missing liveness probes",
  fix: "add a livenessProbe",
  violates: (c) => containerViolates("missing_liveness", c),
  message: (name, _c, subject = "container") => `${subject} '${name}' missing liveness probe`,
};

export const MISSING_READINESS: ContainerCheck = {
  id: "missing_readiness",
  policyField: "requireReadinessProbe",
  severityKey: "missingReadiness",
  weight: 2,
  defaultSeverity: "low",
  scope: "container",
  title: "Missing readiness probes",
  fix: "add a readinessProbe",
  violates: (c) => containerViolates("missing_readiness", c),
  message: (name, _c, subject = "container") => `${subject} '${name}' missing readiness probe`,
};

export const HIGH_RESTARTS: StatusCheck = {
  id: "high_restarts",
  policyField: "maxRestartCount",
  severityKey: "highRestarts",
  weight: 6,
  defaultSeverity: "critical",
  scope: "containerStatus",
  title: "Restart severity score",
  fix: "find why it restarts (kubectl logs --previous, OOMKilled, failing probes)",
  violates: (s, p) => restartCountOf(s) > p.maxRestartCount,
  units: (s) => Math.min(restartCountOf(s), 5),
  message: (name, s, p, subject = "container") => `${subject} '${name}' has ${restartCountOf(s)} restarts (threshold: ${p.maxRestartCount})`,
};

export const PENDING: PodCheck = {
  id: "pending",
  policyField: "forbidPendingDuration",
  severityKey: "pending",
  weight: 4,
  defaultSeverity: "medium",
  scope: "pod",
  title: "Pending pods",
  fix: "make the pod schedulable (requests vs node capacity, selectors, taints, image pulls)",
  violates: isPendingTooLong,
  message: () => "pod is in Pending phase",
};

export const MISSING_REQUESTS: ContainerCheck = {
  id: "missing_requests",
  policyField: "requireResourceRequests",
  severityKey: "missingRequests",
  weight: 3,
  defaultSeverity: "medium",
  scope: "container",
  title: "Missing resource requests",
  fix: "set cpu and memory requests",
  violates: (c) => containerViolates("missing_requests", c),
  message: (name, c, subject = "container") => `${subject} '${name}' missing resource requests (${missingResources(c, "requests").join(", ")})`,
};

export const MISSING_LIMITS: ContainerCheck = {
  id: "missing_limits",
  policyField: "requireResourceLimits",
  severityKey: "missingLimits",
  weight: 2,
  defaultSeverity: "low",
  scope: "container",
  title: "Missing resource limits",
  fix: "set cpu and memory limits",
  violates: (c) => containerViolates("missing_limits", c),
  message: (name, c, subject = "container") => `${subject} '${name}' missing resource limits (${missingResources(c, "limits").join(", ")})`,
};

/** Every check, in the reference's evaluation order (spec checks, restarts, pending), then the new ones. */
export const CHECKS: readonly CheckDefinition[] = [
  LATEST_TAG,
  MISSING_LIVENESS,
  MISSING_READINESS,
  HIGH_RESTARTS,
  PENDING,
  MISSING_REQUESTS,
  MISSING_LIMITS,
];

export const CHECK_BY_ID: Readonly<Record<CheckId, CheckDefinition>> = Object.fromEntries(
  CHECKS.map((c) => [c.id, c]),
) as Record<CheckId, CheckDefinition>;

/** True when `value` is a known check id. */
export function isCheckId(value: string): value is CheckId {
  return Object.hasOwn(CHECK_BY_ID, value);
}
