/**
 * @module
 * The admission verdict, pure: which findings of the namespace's policies deny a
 * request and which only warn. A finding denies when an enforce-mode policy rates
 * it at or above that policy's admission threshold, it is new (on UPDATE, absent
 * from `oldObject`), and the object is not being created by a Kubernetes controller
 * for an already-admitted workload. Everything else is a warning — but an UPDATE
 * reports only what the old object did not already report (decision 0012). See
 * docs/decisions/ for the failure policy, UPDATE and threshold semantics.
 */
import { isExempt, parseExemption, resolveExemption } from "../checks/exemptions.ts";
import { appliesTo, CONTAINER_LISTS, forEachContainer, roleIn, runsToCompletion, SUBJECT } from "../checks/pod-containers.ts";
import { containerViolates, type CheckId } from "../checks/registry.ts";
import { asRecord, type KubeObjectLike, type PodSpecLike } from "../k8s-objects.ts";
import { isSystemNamespace } from "../namespaces.ts";
import { controllerRef } from "../owners.ts";
import { admissionPlanOf, type AdmissionPlan, type PlannedCheck } from "./admission-plan.ts";
import { exemptionNotes } from "./exemption-notes.ts";
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
  /** The object's name as findings name it (`web-7c9d8f6b5-*` for a generateName create); set once evaluated. */
  name?: string;
  outcome: Outcome;
  /** Check ids of the denying findings (one per finding). */
  denials: readonly CheckId[];
  /** Check ids of the findings returned as warnings. */
  warnings: readonly CheckId[];
  /** Check ids of the findings an exemption annotation waived (neither denied nor warned; counted). */
  exempted: readonly CheckId[];
}

export interface AdmitOptions {
  /** The tool's own namespace: always allowed, whatever its name. */
  ownNamespace: string;
  /**
   * The namespace's compiled policies, sorted by name. The same array means the same
   * policies (its plan is cached): hand out a new one when they change, as PolicyIndex does.
   */
  policiesFor: (namespace: string) => readonly AdmissionPolicy[];
  /**
   * Honour `devops.stochastic.io/exempt*` annotations (default true). False (`webhook serve
   * --no-exemptions`) is the cluster admin's switch: developers cannot exempt themselves.
   */
  exemptions?: boolean;
}

/**
 * Owners whose controllers create pods/ReplicaSets/Jobs from a template that admission already
 * saw, by the apiVersion their controllers write into the child's ownerReference: a kind alone
 * would also match a custom resource named ReplicaSet or Job, whose template nobody judged.
 */
export const TEMPLATE_OWNER_API_VERSIONS = { ReplicaSet: "apps/v1", Deployment: "apps/v1", StatefulSet: "apps/v1", DaemonSet: "apps/v1", Job: "batch/v1", CronJob: "batch/v1" } as const;
export const TEMPLATE_OWNER_KINDS = Object.keys(TEMPLATE_OWNER_API_VERSIONS) as Array<keyof typeof TEMPLATE_OWNER_API_VERSIONS>;
const TEMPLATE_OWNERS: ReadonlyMap<string, string> = new Map(Object.entries(TEMPLATE_OWNER_API_VERSIONS));

/** kube-controller-manager's own identity (without --use-service-account-credentials). */
export const CONTROLLER_MANAGER_USER = "system:kube-controller-manager";
/** Each controller's ServiceAccount (with --use-service-account-credentials, kubeadm's default). */
export const KUBE_SYSTEM_SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:kube-system:";
/** A kubelet's identity (Node authorizer, NodeRestriction). */
export const NODE_USER_PREFIX = "system:node:";

/** The annotation the kubelet puts on the API copy ("mirror pod") of a static pod. */
export const MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror";

/**
 * True when the kubelet is publishing the mirror of a static pod: the kubelet runs the static
 * pod from its manifest whatever admission says, so a denial would only hide a running pod
 * from the API (and from scoring). NodeRestriction lets a node create nothing but mirror pods.
 */
function isMirrorPod(object: unknown, username: string): boolean {
  return username.startsWith(NODE_USER_PREFIX) && asRecord(asRecord(asRecord(object)?.metadata)?.annotations)?.[MIRROR_POD_ANNOTATION] !== undefined;
}

/**
 * True when a built-in controller is creating this object for its owner: the owner's
 * template was validated when it was admitted, and denying its children now would
 * stall scale-ups and reschedules of workloads that predate the policy. Also true for a
 * kubelet's mirror pod (isMirrorPod). Such objects get warnings, never a denial, so the generated
 * VWC's matchConditions (match-conditions.ts, the same rule in CEL) spare the API server the call.
 */
export function isControllerCreated(object: unknown, username: string | undefined): boolean {
  if (username?.startsWith(NODE_USER_PREFIX)) return isMirrorPod(object, username);
  // The identity first: for people and CI it settles the question without reading the owners.
  if (username !== CONTROLLER_MANAGER_USER && !(username?.startsWith(KUBE_SYSTEM_SERVICE_ACCOUNT_PREFIX) ?? false)) return false;
  const ref = controllerRef(object as KubeObjectLike);
  return ref !== undefined && Boolean(ref.controller) && typeof ref.kind === "string" && TEMPLATE_OWNERS.get(ref.kind) === ref.apiVersion;
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

function keyOf(check: CheckId, container: string): string {
  return `${check}\u0000${container}`;
}

/**
 * True when two containers have the same name (their findings merge into one per check).
 * The API server rejects duplicates across all three lists, but a review is read
 * defensively. Allocation-free for the usual pod with a few main containers only.
 */
function sharesNames(spec: PodSpecLike): boolean {
  const main = Array.isArray(spec.containers) ? spec.containers : [];
  const others = (Array.isArray(spec.initContainers) ? spec.initContainers.length : 0) + (Array.isArray(spec.ephemeralContainers) ? spec.ephemeralContainers.length : 0);
  const n = main.length;
  if (n + others < 2) return false;
  if (others > 0 || n > 8) {
    const names = new Set<string>();
    let counted = 0;
    forEachContainer(spec, (c) => {
      names.add(containerName(c));
      counted++;
    });
    return names.size < counted;
  }
  for (let i = 0; i < n - 1; i++) {
    const a = asRecord(main[i]);
    if (!a) continue;
    const name = containerName(a);
    for (let j = i + 1; j < n; j++) {
      const b = asRecord(main[j]);
      if (b && containerName(b) === name) return true;
    }
  }
  return false;
}

/**
 * What the old object of an UPDATE already had, per (check, container) key: `true` when an
 * exemption waived it, `false` when it was reported (denied or warned). Keys absent: new.
 */
function findingsBefore(old: PodTemplate, plan: AdmissionPlan, exemptions: boolean): Map<string, boolean> {
  const before = new Map<string, boolean>();
  if (!old.spec) return before;
  const exemption = resolveExemption(old.annotations, { exemptions, workloadExemption: parseExemption(old.workloadAnnotations) });
  const finishes = runsToCompletion(old.spec);
  forEachContainer(old.spec, (c, role) => {
    for (const group of plan.groups) for (const { check } of group) if (appliesTo(check.id, role, finishes) && containerViolates(check.id, c)) before.set(keyOf(check.id, containerName(c)), isExempt(exemption, check.id));
  });
  return before;
}

const NOTHING_BEFORE: ReadonlyMap<string, boolean> = new Map();

/** What the findings come to: denying ones (check id, message), warnings (check id, text) and waived ones. */
interface Findings {
  denials: CheckId[];
  denialMessages: string[];
  warningIds: CheckId[];
  warnings: string[];
  exempted: CheckId[];
}

const NONE: readonly never[] = Object.freeze([]);

function warningText(planned: PlannedCheck, message: string): string {
  return `DevOpsPolicy ${planned.finder}: ${message} (severity ${planned.severity})`;
}

/**
 * The findings of every policy, each (check, container) once: the strictest severity,
 * denying when some enforce-mode policy rates it at or above its threshold and it is
 * new, in the order merging policy after policy reports them (admission-plan.ts).
 * On UPDATE a finding the old object already reported is dropped, and one it already
 * waived is not counted again: a label, a scale or a restart annotation changes no
 * finding, so it says nothing (decision 0012). The old object is read only once the new
 * one has a finding, so compliant updates cost nothing extra.
 * Every container of the spec is checked: main, init (sidecars included) and
 * ephemeral ones, each with the checks that apply to its role and to whether the pod runs
 * to completion (pod-containers.ts).
 * Undefined when there are none (the common compliant case allocates nothing).
 */
function mergeFindings(template: PodTemplate, old: PodTemplate | undefined, plan: AdmissionPlan, mayDeny: boolean, exemptions: boolean): Findings | undefined {
  const spec = template.spec;
  if (!spec) return undefined;
  let found: Findings | undefined;
  // the one rule scoring and enforcement use: the template's annotations merged with the workload's
  const exemption = resolveExemption(template.annotations, { exemptions, workloadExemption: parseExemption(template.workloadAnnotations) });
  let before: ReadonlyMap<string, boolean> | undefined;
  const seen = sharesNames(spec) ? new Set<string>() : undefined;
  const finishes = runsToCompletion(spec);
  // Plain loops, not forEachContainer: this runs per request, and a closure per request shows.
  for (const group of plan.groups) {
    for (let l = 0 as 0 | 1 | 2; l < 3; l++) {
      const list = spec[CONTAINER_LISTS[l]];
      if (!Array.isArray(list)) continue;
      for (const raw of list) {
        const c = asRecord(raw);
        if (!c) continue;
        const role = roleIn(l, c);
        for (const planned of group) {
          const { check } = planned;
          if (!appliesTo(check.id, role, finishes) || !containerViolates(check.id, c)) continue;
          const name = containerName(c);
          if (seen) {
            const key = keyOf(check.id, name);
            if (seen.has(key)) continue; // a second container of the same name: one finding per (check, name)
            seen.add(key);
          }
          before ??= old ? findingsBefore(old, plan, exemptions) : NOTHING_BEFORE;
          // undefined: new; false: the old object reported it; true: the old object waived it
          const was = before.size === 0 ? undefined : before.get(keyOf(check.id, name));
          found ??= { denials: [], denialMessages: [], warningIds: [], warnings: [], exempted: [] };
          if (isExempt(exemption, check.id)) {
            if (was !== true) found.exempted.push(check.id);
            continue;
          }
          if (was === false) continue; // reported when it appeared: an UPDATE that keeps it says nothing
          const message = check.message(name, c, SUBJECT[role]);
          // a finding an exemption waived until now (was === true) is reported again, as a warning:
          // removing the exemption is a metadata change, and the workload already runs like this
          if (mayDeny && planned.denies && was === undefined) {
            found.denials.push(check.id);
            found.denialMessages.push(message);
          } else {
            found.warningIds.push(check.id);
            found.warnings.push(warningText(planned, message));
          }
        }
      }
    }
  }
  return found;
}

function skip(uid: string, namespace: string, outcome: Outcome): AdmissionDecision {
  return { response: allowed(uid), namespace, outcome, denials: NONE, warnings: NONE, exempted: NONE };
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
  const exemptions = options.exemptions !== false;
  const found = mergeFindings(template, old, admissionPlanOf(policies), mayDeny, exemptions);
  if (!found) return { response: allowed(uid), namespace, name: template.name, outcome: "evaluated", denials: NONE, warnings: NONE, exempted: NONE };
  // Exemption annotations that cannot work, once there is a finding they might have been meant
  // for (a compliant request pays nothing); first, as they explain the findings that follow. All of
  // them when this request reports something (the old object may have had the annotation but no
  // finding, so nothing was said); else only those the UPDATE adds.
  const reported = found.denials.length > 0 || found.warnings.length > 0;
  const notes = exemptionNotes(template, reported ? undefined : old, exemptions);
  const warnings = notes ? [...notes, ...found.warnings] : found.warnings;
  const response = found.denials.length > 0 ? denied(uid, DENIAL_PREFIX + found.denialMessages.join(", "), warnings) : allowed(uid, warnings);
  return { response, namespace, name: template.name, outcome: "evaluated", denials: found.denials, warnings: found.warningIds, exempted: found.exempted };
}
