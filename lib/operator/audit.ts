/**
 * @module
 * Audit history: when to record a PolicyAuditResult (the result changed, or the
 * audit interval passed), the object to create (owned by its policy, a generated
 * name that cannot collide, labelled for listing) and which old ones to delete.
 */
import { createHash } from "node:crypto";
import { API_VERSION, type AuditViolation, type PolicyAuditResult } from "../policy/schema.ts";
import type { PolicyEvaluation } from "./evaluate-policy.ts";

export const POLICY_LABEL = "devops.stochastic.io/policy";
export const RESULT_HASH_ANNOTATION = "devops.stochastic.io/result-hash";
/** Bounds one object far below etcd's 1.5 MiB limit; the totals still count everything. */
export const MAX_AUDIT_VIOLATIONS = 500;

export interface PolicyRef {
  name: string;
  namespace: string;
  uid: string;
}

/** A stable digest of what an evaluation found (not when): equal results, equal hashes. */
export function resultFingerprint(e: PolicyEvaluation): string {
  const violations = e.findings.map((f) => [f.pod, f.container, f.check, f.severity, f.message]);
  const digest = createHash("sha256").update(JSON.stringify([e.score, e.totalPods, e.violations, e.classification, violations]));
  return digest.digest("hex").slice(0, 16);
}

export interface LastAudit {
  hash: string;
  /** Epoch ms of its creation. */
  at: number;
}

/** Record when there is none yet, the result changed, or `intervalMs` passed since the last one. */
export function shouldRecordAudit(last: LastAudit | undefined, hash: string, now: number, intervalMs: number): boolean {
  return last === undefined || last.hash !== hash || now - last.at >= intervalMs;
}

function auditViolations(e: PolicyEvaluation): AuditViolation[] {
  return e.findings.slice(0, MAX_AUDIT_VIOLATIONS).map((f) => ({
    podName: f.pod,
    containerName: f.container,
    violationType: f.check,
    severity: f.severity,
    message: f.message,
  }));
}

/** The PolicyAuditResult to create: `generateName` (no collisions), ownerReference, label, hash. */
export function buildAuditResult(policy: PolicyRef, e: PolicyEvaluation, now: Date, hash: string): PolicyAuditResult & { metadata: Record<string, unknown> } {
  const violations = auditViolations(e);
  return {
    apiVersion: API_VERSION,
    kind: "PolicyAuditResult",
    metadata: {
      generateName: `${policy.name.slice(0, 200)}-`,
      namespace: policy.namespace,
      labels: { [POLICY_LABEL]: policy.name.length <= 63 ? policy.name : policy.name.slice(0, 63).replace(/[-.]+$/, "") },
      annotations: { [RESULT_HASH_ANNOTATION]: hash },
      ownerReferences: [{ apiVersion: API_VERSION, kind: "DevOpsPolicy", name: policy.name, uid: policy.uid, blockOwnerDeletion: false }],
    },
    spec: {
      policyName: policy.name,
      timestamp: now.toISOString(),
      healthScore: e.score,
      totalViolations: e.violations,
      totalPods: e.totalPods,
      classification: e.classification,
      ...(violations.length > 0 ? { violations } : {}),
    },
  };
}

export interface StoredAuditResult {
  metadata?: { name?: string; creationTimestamp?: string; annotations?: Record<string, string> };
  spec?: { policyName?: string; timestamp?: string };
}

function timeOf(item: StoredAuditResult): string {
  return item.spec?.timestamp ?? item.metadata?.creationTimestamp ?? "";
}

/** Newest first, by evaluation time then name (so equal timestamps still order stably). */
export function sortNewestFirst<T extends StoredAuditResult>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => {
    const [ta, tb] = [Date.parse(timeOf(a)) || 0, Date.parse(timeOf(b)) || 0];
    return tb - ta || (b.metadata?.name ?? "").localeCompare(a.metadata?.name ?? "");
  });
}

/** Names of the results to delete so that `keep` newest remain. */
export function planRetention(items: readonly StoredAuditResult[], keep: number): string[] {
  return sortNewestFirst(items).slice(Math.max(0, keep)).map((i) => i.metadata?.name).filter((n): n is string => typeof n === "string");
}

/** The newest stored result as a LastAudit (after a restart, from the API). */
export function lastAuditOf(items: readonly StoredAuditResult[]): LastAudit | undefined {
  const newest = sortNewestFirst(items)[0];
  const hash = newest?.metadata?.annotations?.[RESULT_HASH_ANNOTATION];
  const at = newest ? Date.parse(timeOf(newest)) : Number.NaN;
  return hash && Number.isFinite(at) ? { hash, at } : undefined;
}
