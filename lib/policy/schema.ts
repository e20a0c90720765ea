/**
 * @module
 * DevOpsPolicy and PolicyAuditResult (`devops.stochastic.io/v1`): the one valibot
 * schema that validates a policy wherever it is read (file, API, bundle) and that
 * gen/crd.ts turns into the CRDs' structural openAPIV3Schema. Field names and types
 * are the reference's wire contract; new fields are optional and additive.
 */
import * as v from "valibot";
import { compareQuantities } from "../quantity.ts";

/** The quantity grammar of apimachinery's `resource.Quantity` (sign, number, suffix). */
/** A non-negative Kubernetes quantity: CPU and memory amounts are never below zero, and an injected negative one fails every patch. */
export const QUANTITY_PATTERN = /^\+?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?\d+))?$/;

export const API_GROUP = "devops.stochastic.io";
export const API_VERSION = `${API_GROUP}/v1`;

export const SEVERITIES = ["critical", "high", "medium", "low"] as const;
export const SeveritySchema = v.picklist(SEVERITIES);
export type Severity = v.InferOutput<typeof SeveritySchema>;

export const ENFORCEMENT_MODES = ["audit", "enforce"] as const;
export const EnforcementModeSchema = v.picklist(ENFORCEMENT_MODES);
export type EnforcementMode = v.InferOutput<typeof EnforcementModeSchema>;

export const CLASSIFICATIONS = ["Healthy", "Stable", "Degraded", "Critical"] as const;

const int32 = v.pipe(v.number(), v.integer(), v.minValue(-2147483648), v.maxValue(2147483647));
const uint32 = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(4294967295));
const uint64 = v.pipe(v.number(), v.integer(), v.minValue(0));
const generation = v.pipe(v.number(), v.integer(), v.minValue(0));

/** Kubernetes resource quantity, e.g. `100m`, `128Mi`, `1.5`, `2e3`. */
export const QuantitySchema = v.pipe(
  v.string(),
  v.maxLength(64),
  v.regex(QUANTITY_PATTERN, "must be a non-negative Kubernetes quantity such as 100m or 128Mi"),
);

function optionalBool(description: string) {
  return v.optional(v.pipe(v.boolean(), v.description(description)));
}

export const DefaultProbeSchema = v.object({
  tcpPort: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535), v.description("TCP port of the injected probes for a container that declares no TCP port (one that does is probed on this port if it declares it, else on its first); without it such a container is left unresolved, never probed on a guessed port"))),
  initialDelaySeconds: v.optional(v.pipe(int32, v.minValue(0), v.description("initialDelaySeconds of the injected probes"))),
  periodSeconds: v.optional(v.pipe(int32, v.minValue(1), v.description("periodSeconds of the injected probes"))),
});

/** A CEL rule for the CRD (`x-kubernetes-validations`) that does on the server what a valibot check does here. */
export interface CelRule {
  rule: string;
  message: string;
  fieldPath?: string;
}

const CEL_TWINS = new WeakMap<object, CelRule>();

/** The CEL twin of a cross-field valibot check; gen/crd.ts refuses a check without one. */
export function celTwinOf(action: object): CelRule | undefined {
  return CEL_TWINS.get(action);
}

/** A request larger than its limit is a pod the API server would reject: refuse it in the policy. */
function requestWithinLimit(kind: "cpu" | "memory") {
  const request = `${kind}Request` as const;
  const limit = `${kind}Limit` as const;
  const action = v.forward<DefaultResourcesInput, v.PartialCheckIssue<DefaultResourcesInput>, [typeof request]>(
    v.partialCheck(
      [[request], [limit]],
      (input) => {
        const [r, l] = [input[request], input[limit]];
        if (r === undefined || l === undefined) return true;
        return (compareQuantities(r, l) ?? 0) <= 0;
      },
      (issue) => {
        const input = issue.input as DefaultResourcesInput;
        return `${request} ${String(input[request])} must not exceed ${limit} ${String(input[limit])}`;
      },
    ),
    [request],
  );
  CEL_TWINS.set(action, {
    rule: `!has(self.${request}) || !has(self.${limit}) || quantity(self.${request}).compareTo(quantity(self.${limit})) <= 0`,
    message: `${request} must not exceed ${limit}`,
    fieldPath: `.${request}`,
  });
  return action;
}

const DefaultResourcesObject = v.object({
  cpuRequest: v.optional(v.pipe(QuantitySchema, v.description("CPU request injected into containers without one (default 100m)"))),
  cpuLimit: v.optional(v.pipe(QuantitySchema, v.description("CPU limit injected into containers without one (default 500m)"))),
  memoryRequest: v.optional(v.pipe(QuantitySchema, v.description("Memory request injected into containers without one (default 128Mi)"))),
  memoryLimit: v.optional(v.pipe(QuantitySchema, v.description("Memory limit injected into containers without one (no default: without it no memory limit is injected)"))),
});
type DefaultResourcesInput = v.InferInput<typeof DefaultResourcesObject>;

export const DefaultResourcesSchema = v.pipe(DefaultResourcesObject, requestWithinLimit("cpu"), requestWithinLimit("memory"));

function severityOverride(check: string) {
  return v.optional(v.pipe(SeveritySchema, v.description(`Severity of ${check} violations`)));
}

/** Per-check severity overrides; keys are the reference's plus the two resource checks. */
export const SeverityOverridesSchema = v.object({
  latestTag: severityOverride("latest_tag (default high)"),
  missingLiveness: severityOverride("missing_liveness (default medium)"),
  missingReadiness: severityOverride("missing_readiness (default low)"),
  highRestarts: severityOverride("high_restarts (default critical)"),
  pending: severityOverride("pending (default medium)"),
  missingRequests: severityOverride("missing_requests (default medium)"),
  missingLimits: severityOverride("missing_limits (default medium)"),
});

export const DevOpsPolicySpecSchema = v.object({
  forbidLatestTag: optionalBool("Flag containers that run a floating image, tagged :latest or with no tag at all (nginx); a digest (@sha256...) pins the image and passes"),
  requireLivenessProbe: optionalBool("Flag containers without a livenessProbe; enforce mode injects one"),
  requireReadinessProbe: optionalBool("Flag containers without a readinessProbe; enforce mode injects one"),
  // not below 0: every container has restartCount >= 0, so a negative threshold flags them all (decision 0004)
  maxRestartCount: v.optional(v.pipe(int32, v.minValue(0), v.description("A container with restartCount strictly greater than this is a violation (0 or more)"))),
  forbidPendingDuration: v.optional(v.pipe(uint64, v.description("Seconds a pod may stay Pending before it is a violation"))),
  requireResourceRequests: optionalBool("Flag containers without cpu and memory requests"),
  requireResourceLimits: optionalBool("Flag containers without cpu and memory limits"),
  enforcementMode: v.optional(v.pipe(EnforcementModeSchema, v.description("audit (default) only reports; enforce also patches the owning workloads"))),
  admissionThreshold: v.optional(v.pipe(SeveritySchema, v.description("The lowest severity that admission denies in enforce mode (default high)"))),
  defaultProbe: v.optional(v.pipe(DefaultProbeSchema, v.description("Parameters of the probes enforce mode injects"))),
  defaultResources: v.optional(v.pipe(DefaultResourcesSchema, v.description("Resources enforce mode injects; its presence enables injection"))),
  severityOverrides: v.optional(v.pipe(SeverityOverridesSchema, v.description("Per-check severity overrides"))),
});
export type DevOpsPolicySpec = v.InferOutput<typeof DevOpsPolicySpecSchema>;

export const ConditionSchema = v.object({
  type: v.pipe(v.string(), v.description("Condition type, e.g. Ready")),
  status: v.pipe(v.picklist(["True", "False", "Unknown"]), v.description("True, False or Unknown")),
  reason: v.pipe(v.string(), v.description("CamelCase reason for the last transition")),
  message: v.pipe(v.string(), v.description("Human-readable detail")),
  lastTransitionTime: v.pipe(v.string(), v.description("RFC 3339 time of the last status change")),
  observedGeneration: v.optional(v.pipe(generation, v.description("metadata.generation the condition was set for"))),
});
export type Condition = v.InferOutput<typeof ConditionSchema>;

/** At most this many unresolved items in a policy's status (`unresolvedCount` counts them all). */
export const MAX_STATUS_UNRESOLVED = 20;
/** Reasons are cut to this length in status, so a status write always passes the CRD's schema. */
export const MAX_UNRESOLVED_REASON = 256;

/** New: one container enforcement could not bring up to the policy (decision 0010). */
export const UnresolvedItemSchema = v.object({
  workload: v.pipe(v.string(), v.description("<kind>/<namespace>/<name> of the workload")),
  container: v.pipe(v.string(), v.description("The container's name (empty when it has none)")),
  reason: v.pipe(v.string(), v.maxLength(MAX_UNRESOLVED_REASON), v.description("What it still violates and why enforcement did not fix it")),
});
export type UnresolvedItemStatus = v.InferOutput<typeof UnresolvedItemSchema>;

export const DevOpsPolicyStatusSchema = v.object({
  observedGeneration: v.optional(v.pipe(generation, v.description("metadata.generation of the evaluated spec"))),
  healthy: v.optional(v.pipe(v.boolean(), v.description("healthScore >= 80"))),
  healthScore: v.optional(v.pipe(uint32, v.maxValue(100), v.description("Governance score 0-100 of the policy's namespace"))),
  violations: v.optional(v.pipe(uint32, v.description("Number of violations found"))),
  lastEvaluated: v.optional(v.pipe(v.string(), v.description("RFC 3339 time of the last evaluation written here: on every change, else by the first evaluation after each reconcile --status-heartbeat (10m; evaluations run at least every --requeue-interval, 30s); older than both together, the operator is not evaluating this policy"))),
  message: v.optional(v.pipe(v.string(), v.description("<violations> violations across <pods> pods — <Class> (<score>)"))),
  remediationsApplied: v.optional(v.pipe(uint32, v.description("Enforce mode: workloads patched since enforcement began, a running total (cleared in audit mode)"))),
  remediationsFailed: v.optional(v.pipe(uint32, v.description("Enforce mode: workloads whose patch failed in the last evaluation, not a total (the Enforced Event names them)"))),
  remediatedWorkloads: v.optional(v.pipe(v.array(v.string()), v.description("Enforce mode: <kind>/<namespace>/<name> of the workloads patched since enforcement began, in the order they were last patched (the most recent last); at most 100, the oldest making room"))),
  /** New: what enforce mode cannot fix, with why; absent when nothing is left (and in audit mode). */
  unresolved: v.optional(v.pipe(v.array(UnresolvedItemSchema), v.maxLength(MAX_STATUS_UNRESOLVED), v.description(`Containers enforcement could not remediate, with why (the first ${MAX_STATUS_UNRESOLVED}; unresolvedCount counts all)`))),
  unresolvedCount: v.optional(v.pipe(uint32, v.description("Number of unresolved items, listed or not"))),
  /** New: the mode the operator applied in this evaluation (audit when the spec leaves it out), for the printer column. */
  enforcementMode: v.optional(v.pipe(EnforcementModeSchema, v.description("The mode the operator evaluated the policy in: audit (also when spec.enforcementMode is absent) or enforce"))),
  /** New: the class of healthScore, for the printer column and selectors. */
  classification: v.optional(v.pipe(v.picklist(CLASSIFICATIONS), v.description("Class of healthScore: Healthy, Stable, Degraded or Critical"))),
  /** New: Kubernetes API conventions (Ready with reason and message). */
  conditions: v.optional(v.pipe(v.array(ConditionSchema), v.description("Ready (evaluated, and why not) and SpecValid (every spec field applies, or which are ignored), per API conventions"))),
});
export type DevOpsPolicyStatus = v.InferOutput<typeof DevOpsPolicyStatusSchema>;

export const AuditViolationSchema = v.object({
  podName: v.pipe(v.string(), v.description("The violating pod")),
  containerName: v.pipe(v.string(), v.description("The violating container (empty for pod-level checks: pending)")),
  violationType: v.pipe(v.string(), v.description("Check id: latest_tag, missing_liveness, missing_readiness, high_restarts, pending, missing_requests or missing_limits")),
  severity: v.pipe(SeveritySchema, v.description("Severity of the check (spec.severityOverrides applied)")),
  message: v.pipe(v.string(), v.description("Human-readable detail")),
});
export type AuditViolation = v.InferOutput<typeof AuditViolationSchema>;

export const PolicyAuditResultSpecSchema = v.object({
  policyName: v.pipe(v.string(), v.description("Name of the DevOpsPolicy that produced this result")),
  clusterName: v.optional(v.pipe(v.string(), v.description("Reserved; never set by the operator"))),
  timestamp: v.pipe(v.string(), v.description("RFC 3339 time of the evaluation")),
  healthScore: v.pipe(uint32, v.maxValue(100), v.description("Governance score 0-100 of the policy's namespace")),
  totalViolations: v.pipe(uint32, v.description("Number of violations found, including any beyond the stored list")),
  totalPods: v.pipe(uint32, v.description("Pods evaluated")),
  classification: v.pipe(v.string(), v.description("Class of healthScore: Healthy, Stable, Degraded or Critical")),
  violations: v.optional(v.pipe(v.array(AuditViolationSchema), v.description("The violations (at most 500 stored; totalViolations counts all)"))),
});
export type PolicyAuditResultSpec = v.InferOutput<typeof PolicyAuditResultSpecSchema>;

const ObjectMetaSchema = v.looseObject({
  name: v.optional(v.string()),
  namespace: v.optional(v.string()),
  labels: v.optional(v.record(v.string(), v.string())),
  annotations: v.optional(v.record(v.string(), v.string())),
});

/** A whole DevOpsPolicy object as read from a file or the API. */
export const DevOpsPolicySchema = v.object({
  apiVersion: v.literal(API_VERSION),
  kind: v.literal("DevOpsPolicy"),
  metadata: ObjectMetaSchema,
  spec: DevOpsPolicySpecSchema,
  status: v.optional(DevOpsPolicyStatusSchema),
});
export type DevOpsPolicy = v.InferOutput<typeof DevOpsPolicySchema>;

/** A whole PolicyAuditResult object. */
export const PolicyAuditResultSchema = v.object({
  apiVersion: v.literal(API_VERSION),
  kind: v.literal("PolicyAuditResult"),
  metadata: ObjectMetaSchema,
  spec: PolicyAuditResultSpecSchema,
});
export type PolicyAuditResult = v.InferOutput<typeof PolicyAuditResultSchema>;
