/**
 * @module
 * DevOpsPolicy and PolicyAuditResult (`devops.stochastic.io/v1`): the one valibot
 * schema that validates a policy wherever it is read (file, API, bundle) and that
 * gen/ turns into the CRDs' structural openAPIV3Schema. Field names and types are
 * the reference's wire contract; new fields are optional and additive.
 */
import * as v from "valibot";

export const API_GROUP = "devops.stochastic.io";
export const API_VERSION = `${API_GROUP}/v1`;

export const SEVERITIES = ["critical", "high", "medium", "low"] as const;
export const SeveritySchema = v.picklist(SEVERITIES);
export type Severity = v.InferOutput<typeof SeveritySchema>;

export const ENFORCEMENT_MODES = ["audit", "enforce"] as const;
export const EnforcementModeSchema = v.picklist(ENFORCEMENT_MODES);
export type EnforcementMode = v.InferOutput<typeof EnforcementModeSchema>;

const int32 = v.pipe(v.number(), v.integer(), v.minValue(-2147483648), v.maxValue(2147483647));
const uint32 = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(4294967295));
const uint64 = v.pipe(v.number(), v.integer(), v.minValue(0));

/** Kubernetes resource quantity, e.g. `100m`, `128Mi`, `1.5`, `2e3`. */
export const QuantitySchema = v.pipe(
  v.string(),
  v.regex(/^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?\d+))?$/, "must be a Kubernetes quantity such as 100m or 128Mi"),
);

export const DefaultProbeSchema = v.object({
  tcpPort: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535))),
  initialDelaySeconds: v.optional(v.pipe(int32, v.minValue(0))),
  periodSeconds: v.optional(v.pipe(int32, v.minValue(1))),
});

export const DefaultResourcesSchema = v.object({
  cpuRequest: v.optional(QuantitySchema),
  cpuLimit: v.optional(QuantitySchema),
  memoryRequest: v.optional(QuantitySchema),
  memoryLimit: v.optional(QuantitySchema),
});

/** Per-check severity overrides; keys are the reference's plus the two resource checks. */
export const SeverityOverridesSchema = v.object({
  latestTag: v.optional(SeveritySchema),
  missingLiveness: v.optional(SeveritySchema),
  missingReadiness: v.optional(SeveritySchema),
  highRestarts: v.optional(SeveritySchema),
  pending: v.optional(SeveritySchema),
  missingRequests: v.optional(SeveritySchema),
  missingLimits: v.optional(SeveritySchema),
});

export const DevOpsPolicySpecSchema = v.object({
  forbidLatestTag: v.optional(v.boolean()),
  requireLivenessProbe: v.optional(v.boolean()),
  requireReadinessProbe: v.optional(v.boolean()),
  /** A container with restartCount strictly greater than this is a violation. */
  maxRestartCount: v.optional(int32),
  /** Seconds a pod may stay Pending before it is a violation (reference: presence only). */
  forbidPendingDuration: v.optional(uint64),
  /** New: every container must set cpu and memory requests. */
  requireResourceRequests: v.optional(v.boolean()),
  /** New: every container must set cpu and memory limits. */
  requireResourceLimits: v.optional(v.boolean()),
  enforcementMode: v.optional(EnforcementModeSchema),
  /** New: the lowest severity that admission denies in enforce mode (default high). */
  admissionThreshold: v.optional(SeveritySchema),
  defaultProbe: v.optional(DefaultProbeSchema),
  defaultResources: v.optional(DefaultResourcesSchema),
  severityOverrides: v.optional(SeverityOverridesSchema),
});
export type DevOpsPolicySpec = v.InferOutput<typeof DevOpsPolicySpecSchema>;

export const ConditionSchema = v.object({
  type: v.string(),
  status: v.picklist(["True", "False", "Unknown"]),
  reason: v.string(),
  message: v.string(),
  lastTransitionTime: v.string(),
  observedGeneration: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
});
export type Condition = v.InferOutput<typeof ConditionSchema>;

export const DevOpsPolicyStatusSchema = v.object({
  observedGeneration: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  healthy: v.optional(v.boolean()),
  healthScore: v.optional(v.pipe(uint32, v.maxValue(100))),
  violations: v.optional(uint32),
  lastEvaluated: v.optional(v.string()),
  message: v.optional(v.string()),
  remediationsApplied: v.optional(uint32),
  remediationsFailed: v.optional(uint32),
  remediatedWorkloads: v.optional(v.array(v.string())),
  /** New: Kubernetes API conventions (Ready with reason and message). */
  conditions: v.optional(v.array(ConditionSchema)),
});
export type DevOpsPolicyStatus = v.InferOutput<typeof DevOpsPolicyStatusSchema>;

export const AuditViolationSchema = v.object({
  podName: v.string(),
  containerName: v.string(),
  violationType: v.string(),
  severity: SeveritySchema,
  message: v.string(),
});
export type AuditViolation = v.InferOutput<typeof AuditViolationSchema>;

export const PolicyAuditResultSpecSchema = v.object({
  policyName: v.string(),
  clusterName: v.optional(v.string()),
  timestamp: v.string(),
  healthScore: v.pipe(uint32, v.maxValue(100)),
  totalViolations: uint32,
  totalPods: uint32,
  classification: v.string(),
  violations: v.optional(v.array(AuditViolationSchema)),
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
