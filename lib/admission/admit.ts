/**
 * @module
 * The admission verdict, pure: which findings of the namespace's policies deny a
 * request and which only warn. A finding denies when an enforce-mode policy rates
 * it at or above that policy's admission threshold, it is new (on UPDATE, absent
 * from `oldObject`), and the object is not being created by a Kubernetes controller
 * for an already-admitted workload. Everything else is a warning. See
 * docs/decisions/ for the failure policy, UPDATE and threshold semantics.
 */
import { evaluatePodSpec, type Finding } from "../checks/evaluate.ts";
import type { CheckId } from "../checks/registry.ts";
import { isAtLeast, maxSeverity } from "../checks/severity.ts";
import { parseExemption } from "../checks/exemptions.ts";
import { asRecord, type KubeObjectLike } from "../k8s-objects.ts";
import { isSystemNamespace } from "../namespaces.ts";
import { controllerRef } from "../owners.ts";
import type { Severity } from "../policy/schema.ts";
import type { AdmissionPolicy } from "./policy-index.ts";
import { podTemplateOf, type PodTemplate } from "./pod-template.ts";
import type { AdmissionRequest, AdmissionResponse } from "./review.ts";
import { allowed, denied } from "./verdict.ts";

/** The reference's denial prefix (wire contract: users grep for it). */
export const DENIAL_PREFIX = "Denied by DevOpsPolicy: ";

export type Outcome = "evaluated" | "operation-not-validated" | "system-namespace" | "kind-not-validated" | "no-policy" | "no-pod-spec";

export interface AdmissionDecision {
  response: AdmissionResponse;
  namespace: string;
  outcome: Outcome;
  /** Check ids of the denying findings (one per finding). */
  denials: CheckId[];
  /** Check ids of the findings returned as warnings. */
  warnings: CheckId[];
}

export interface AdmitOptions {
  /** The tool's own namespace: always allowed, whatever its name. */
  ownNamespace: string;
  /** The namespace's compiled policies. */
  policiesFor: (namespace: string) => readonly AdmissionPolicy[];
}

/** Owners whose controllers create pods/ReplicaSets/Jobs from a template that admission already saw. */
const TEMPLATE_OWNERS = new Set(["ReplicaSet", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"]);

/**
 * True when a built-in controller is creating this object for its owner: the owner's
 * template was validated when it was admitted, and denying its children now would
 * stall scale-ups and reschedules of workloads that predate the policy.
 */
export function isControllerCreated(object: unknown, username: string | undefined): boolean {
  const ref = controllerRef(object as KubeObjectLike);
  if (!ref?.controller || typeof ref.kind !== "string" || !TEMPLATE_OWNERS.has(ref.kind)) return false;
  return username === "system:kube-controller-manager" || (username?.startsWith("system:serviceaccount:kube-system:") ?? false);
}

function namespaceOf(request: AdmissionRequest): string {
  if (request.namespace) return request.namespace;
  const ns = asRecord(asRecord(request.object)?.metadata)?.namespace;
  return typeof ns === "string" && ns !== "" ? ns : "default";
}

function findingsOf(template: PodTemplate, namespace: string, policy: AdmissionPolicy): Finding[] {
  const workloadExemption = parseExemption(template.workloadAnnotations);
  return evaluatePodSpec(template.spec, policy.checks, { name: template.name, namespace, annotations: template.annotations }, { includeSystemNamespaces: true, workloadExemption }).findings;
}

interface Merged {
  finding: Finding;
  deny: boolean;
  severity: Severity;
  policy: string;
}

function keyOf(f: Finding): string {
  return `${f.check}\u0000${f.container}`;
}

/** Merges the findings of every policy: strictest wins per (check, container). */
function mergeFindings(template: PodTemplate, old: PodTemplate | undefined, namespace: string, policies: readonly AdmissionPolicy[], mayDeny: boolean): Map<string, Merged> {
  const merged = new Map<string, Merged>();
  for (const policy of policies) {
    const existing = old ? new Set(findingsOf(old, namespace, policy).map(keyOf)) : undefined;
    for (const finding of findingsOf(template, namespace, policy)) {
      if (finding.exempt) continue;
      const key = keyOf(finding);
      const deny = mayDeny && policy.enforce && isAtLeast(finding.severity, policy.threshold) && !existing?.has(key);
      const prev = merged.get(key);
      if (!prev) merged.set(key, { finding, deny, severity: finding.severity, policy: policy.name });
      else {
        prev.severity = maxSeverity(prev.severity, finding.severity);
        if (deny && !prev.deny) Object.assign(prev, { deny: true, policy: policy.name });
      }
    }
  }
  return merged;
}

function warningText(m: Merged): string {
  return `DevOpsPolicy ${m.policy}: ${m.finding.message} (severity ${m.severity})`;
}

function skip(uid: string, namespace: string, outcome: Outcome): AdmissionDecision {
  return { response: allowed(uid), namespace, outcome, denials: [], warnings: [] };
}

/** Decides one admission request against the namespace's policies. Never throws on odd objects. */
export function admitRequest(request: AdmissionRequest, options: AdmitOptions): AdmissionDecision {
  const { uid } = request;
  const namespace = namespaceOf(request);
  if (request.operation !== "CREATE" && request.operation !== "UPDATE") return skip(uid, namespace, "operation-not-validated");
  if (namespace === options.ownNamespace || isSystemNamespace(namespace)) return skip(uid, namespace, "system-namespace");
  const template = podTemplateOf(request.object, request.kind.kind, request.name);
  if (!template) return skip(uid, namespace, "kind-not-validated");
  const policies = options.policiesFor(namespace);
  if (policies.length === 0) return skip(uid, namespace, "no-policy");
  if (!template.spec) return skip(uid, namespace, "no-pod-spec");
  const old = request.operation === "UPDATE" ? podTemplateOf(request.oldObject, request.kind.kind, request.name) : undefined;
  const mayDeny = !isControllerCreated(request.object, request.userInfo?.username);
  const merged = [...mergeFindings(template, old, namespace, policies, mayDeny).values()];
  const denying = merged.filter((m) => m.deny);
  const warning = merged.filter((m) => !m.deny);
  const warnings = warning.map(warningText);
  const response = denying.length > 0 ? denied(uid, DENIAL_PREFIX + denying.map((m) => m.finding.message).join(", "), warnings) : allowed(uid, warnings);
  return { response, namespace, outcome: "evaluated", denials: denying.map((m) => m.finding.check), warnings: warning.map((m) => m.finding.check) };
}
