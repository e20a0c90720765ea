/**
 * @module
 * The admission verdict, pure: which findings of the namespace's policies deny a
 * request and which only warn. A finding denies when an enforce-mode policy rates
 * it at or above that policy's admission threshold, it is new (on UPDATE, absent
 * from `oldObject`), and the object is not being created by a Kubernetes controller
 * for an already-admitted workload. Everything else is a warning. See
 * docs/decisions/ for the failure policy, UPDATE and threshold semantics.
 */
import { isExempt, mergeExemptions, parseExemption, type Exemption } from "../checks/exemptions.ts";
import type { CheckId } from "../checks/registry.ts";
import { asRecord, type KubeObjectLike } from "../k8s-objects.ts";
import { isSystemNamespace } from "../namespaces.ts";
import { controllerRef } from "../owners.ts";
import { admissionPlanOf, type AdmissionPlan, type PlannedCheck } from "./admission-plan.ts";
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
  /**
   * The namespace's compiled policies, sorted by name. The same array means the same
   * policies (its plan is cached): hand out a new one when they change, as PolicyIndex does.
   */
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

/** Container name as findings carry it. */
function containerName(container: Record<string, unknown>): string {
  return typeof container.name === "string" && container.name !== "" ? container.name : "unknown";
}

function containersOf(template: PodTemplate | undefined): readonly unknown[] {
  const containers = template?.spec?.containers;
  return Array.isArray(containers) ? containers : [];
}

/** The template's exemption: its own annotations merged with the workload's. */
function exemptionOf(template: PodTemplate): Exemption | undefined {
  const own = parseExemption(template.annotations);
  const workload = parseExemption(template.workloadAnnotations);
  return own === undefined || workload === undefined ? (own ?? workload) : mergeExemptions(own, workload);
}

interface Merged {
  planned: PlannedCheck;
  message: string;
  deny: boolean;
}

function keyOf(check: CheckId, container: string): string {
  return `${check}\u0000${container}`;
}

/** True when two containers have the same name (their findings merge into one per check). */
function sharesNames(containers: readonly unknown[]): boolean {
  const names: string[] = [];
  for (const raw of containers) {
    const c = asRecord(raw);
    if (c) names.push(containerName(c));
  }
  if (names.length > 8) return new Set(names).size < names.length;
  for (let i = 0; i < names.length; i++) for (let j = i + 1; j < names.length; j++) if (names[i] === names[j]) return true;
  return false;
}

/** (check, container) keys the old object of an UPDATE already violated, exemptions aside. */
function violationsOf(old: PodTemplate | undefined, plan: AdmissionPlan): Set<string> | undefined {
  if (!old) return undefined;
  const keys = new Set<string>();
  for (const raw of containersOf(old)) {
    const c = asRecord(raw);
    if (!c) continue;
    for (const group of plan.groups) for (const { check } of group) if (check.violates(c)) keys.add(keyOf(check.id, containerName(c)));
  }
  return keys;
}

/**
 * The findings of every policy, each (check, container) once: the strictest severity,
 * denying when some enforce-mode policy rates it at or above its threshold and it is
 * new, in the order merging policy after policy reports them (admission-plan.ts).
 */
function mergeFindings(template: PodTemplate, old: PodTemplate | undefined, plan: AdmissionPlan, mayDeny: boolean): Merged[] {
  const containers = containersOf(template);
  const merged: Merged[] = [];
  if (containers.length === 0) return merged;
  const exemption = exemptionOf(template);
  const existing = mayDeny && plan.mayDeny ? violationsOf(old, plan) : undefined;
  const seen = sharesNames(containers) ? new Set<string>() : undefined;
  for (const group of plan.groups) {
    for (const raw of containers) {
      const c = asRecord(raw);
      if (!c) continue;
      for (const planned of group) {
        const { check } = planned;
        if (!check.violates(c) || isExempt(exemption, check.id)) continue;
        const name = containerName(c);
        if (seen) {
          const key = keyOf(check.id, name);
          if (seen.has(key)) continue; // a second container of the same name: one finding per (check, name)
          seen.add(key);
        }
        const deny = mayDeny && planned.denies && !existing?.has(keyOf(check.id, name));
        merged.push({ planned, message: check.message(name, c), deny });
      }
    }
  }
  return merged;
}

function warningText(m: Merged): string {
  return `DevOpsPolicy ${m.planned.finder}: ${m.message} (severity ${m.planned.severity})`;
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
  const merged = mergeFindings(template, old, admissionPlanOf(policies), mayDeny);
  const denials: CheckId[] = [];
  const denialMessages: string[] = [];
  const warningIds: CheckId[] = [];
  const warnings: string[] = [];
  for (const m of merged) {
    if (m.deny) {
      denials.push(m.planned.check.id);
      denialMessages.push(m.message);
    } else {
      warningIds.push(m.planned.check.id);
      warnings.push(warningText(m));
    }
  }
  const response = denials.length > 0 ? denied(uid, DENIAL_PREFIX + denialMessages.join(", "), warnings) : allowed(uid, warnings);
  return { response, namespace, outcome: "evaluated", denials, warnings: warningIds };
}
