/**
 * @module
 * Plans the remediation of one workload (Deployment, StatefulSet, DaemonSet)
 * from its own pod template: containers are matched by name, nothing the user
 * set is changed, and the result is a JSON Patch whose `test` operations guard
 * every container and the template metadata it assumed — so a concurrent edit
 * makes the patch fail (and be re-planned) instead of being overwritten. What
 * the patched template still violates is listed as unresolved, with why.
 * Exemption annotations hold here as in scoring: nothing is added for an exempt check.
 */
import { parseExemption, resolveExemption } from "../checks/exemptions.ts";
import type { DevOpsPolicySpec } from "../policy/schema.ts";
import { ENFORCE_ANNOTATION, ENFORCEABLE_KINDS, PATCHED_BY_ANNOTATION, PATCHED_BY_VALUE, type EnforceableKind } from "./defaults.ts";
import { pointer } from "./json-pointer.ts";
import { listUnresolved, type PlannerReason, type UnresolvedItem } from "./list-unresolved.ts";
import { planContainer, type ContainerPlan, type TemplateContainer } from "./plan-container.ts";
import { findRolloutHold, type RolloutHold } from "./rollout-hold.ts";

export interface WorkloadObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string>; resourceVersion?: string; [k: string]: unknown };
  spec?: {
    template?: { metadata?: Record<string, unknown> & { annotations?: Record<string, string> }; spec?: { containers?: TemplateContainer[]; initContainers?: TemplateContainer[]; restartPolicy?: string } };
    updateStrategy?: { type?: string };
    paused?: boolean;
  };
}

export type JsonPatchOp =
  | { op: "test"; path: string; value: unknown }
  | { op: "add"; path: string; value: unknown };

export interface WorkloadPlan {
  /** `<kind-lowercase>/<namespace>/<name>`, the reference's workload key. */
  key: string;
  kind: string;
  namespace: string;
  name: string;
  /**
   * planned: a patch to apply; compliant: nothing to do and nothing left; unresolved: nothing
   * enforcement can add, but violations remain (see `unresolved`); skipped: not ours to touch.
   */
  outcome: "planned" | "compliant" | "unresolved" | "skipped";
  skipReason?: string;
  containers: ContainerPlan[];
  /** What the template still violates after the patch, per container and reason (reported, never patched). */
  unresolved: UnresolvedItem[];
  patch: JsonPatchOp[];
  /** A human-readable diff, one line per change. */
  diff: string[];
  /** Set when the running pods will not pick the patched template up by themselves (OnDelete, paused). */
  rolloutHold?: RolloutHold;
}

export interface PlanOptions {
  /** Namespaces enforcement never touches (system namespaces and the operator's own). */
  isProtectedNamespace: (namespace: string) => boolean;
  /** Honour exemption annotations: plan nothing for an exempt check, and do not list it unresolved (default true). */
  exemptions?: boolean;
}

const TEMPLATE = ["spec", "template"] as const;

function workloadKey(kind: string, namespace: string, name: string): string {
  return `${kind.toLowerCase()}/${namespace}/${name}`;
}

function skipReason(workload: WorkloadObject, spec: DevOpsPolicySpec, options: PlanOptions, namespace: string): string | undefined {
  if (!ENFORCEABLE_KINDS.includes(workload.kind as EnforceableKind)) return `kind ${workload.kind ?? "(none)"} is not enforced`;
  if (spec.enforcementMode !== "enforce") return "the policy is in audit mode";
  if (options.isProtectedNamespace(namespace)) return `namespace ${namespace} is protected`;
  if (workload.metadata?.annotations?.[ENFORCE_ANNOTATION] === "false") return `opted out with ${ENFORCE_ANNOTATION}: "false"`;
  if (!Array.isArray(workload.spec?.template?.spec?.containers)) return "the workload has no pod template containers";
  return undefined;
}

function annotationOps(templateMeta: Record<string, unknown> | undefined): JsonPatchOp[] {
  if (templateMeta === undefined) {
    return [{ op: "add", path: pointer(...TEMPLATE, "metadata"), value: { annotations: { [PATCHED_BY_ANNOTATION]: PATCHED_BY_VALUE } } }];
  }
  const guard: JsonPatchOp = { op: "test", path: pointer(...TEMPLATE, "metadata"), value: templateMeta };
  if (templateMeta.annotations === undefined) {
    return [guard, { op: "add", path: pointer(...TEMPLATE, "metadata", "annotations"), value: { [PATCHED_BY_ANNOTATION]: PATCHED_BY_VALUE } }];
  }
  return [guard, { op: "add", path: pointer(...TEMPLATE, "metadata", "annotations", PATCHED_BY_ANNOTATION), value: PATCHED_BY_VALUE }];
}

function containerOps(index: number, container: TemplateContainer, plan: ContainerPlan): JsonPatchOp[] {
  const base = [...TEMPLATE, "spec", "containers", index] as const;
  const ops: JsonPatchOp[] = [{ op: "test", path: pointer(...base), value: container }];
  for (const { kind, probe } of plan.probes) ops.push({ op: "add", path: pointer(...base, kind), value: probe });
  if (plan.resources !== undefined) ops.push({ op: "add", path: pointer(...base, "resources"), value: plan.resources });
  return ops;
}

/** The container as the patch leaves it. */
function withPlan(container: TemplateContainer, plan: ContainerPlan): TemplateContainer {
  const out: TemplateContainer = { ...container };
  for (const { kind, probe } of plan.probes) out[kind] = probe;
  if (plan.resources !== undefined) out.resources = plan.resources;
  return out;
}

/** Plans the patch that brings `workload`'s pod template up to `spec`. Pure. */
export function planWorkloadRemediation(workload: WorkloadObject, spec: DevOpsPolicySpec, options: PlanOptions): WorkloadPlan {
  const kind = workload.kind ?? "";
  const namespace = workload.metadata?.namespace ?? "default";
  const name = workload.metadata?.name ?? "";
  const plan: WorkloadPlan = { key: workloadKey(kind, namespace, name), kind, namespace, name, outcome: "compliant", containers: [], unresolved: [], patch: [], diff: [] };
  const reason = skipReason(workload, spec, options, namespace);
  if (reason !== undefined) return { ...plan, outcome: "skipped", skipReason: reason };

  const template = workload.spec?.template;
  const containers = template?.spec?.containers ?? [];
  // the rule scoring and listUnresolved use: the template's annotations merged with the workload's
  const exemption = resolveExemption(template?.metadata?.annotations, { exemptions: options.exemptions, workloadExemption: parseExemption(workload.metadata?.annotations) });
  const patched: TemplateContainer[] = [];
  const reasons = new Map<number, PlannerReason[]>();
  const seen = new Set<string>();
  containers.forEach((container, index) => {
    const name = container.name ?? "";
    patched.push(container);
    // Duplicate or missing names make by-name matching ambiguous: never guess.
    if (name === "" || seen.has(name)) {
      reasons.set(index, [{ reason: "container has no unique name; not patched" }]);
      return;
    }
    seen.add(name);
    const cplan = planContainer(container, spec, exemption);
    reasons.set(index, cplan.unresolved);
    if (cplan.probes.length === 0 && cplan.resources === undefined) return;
    patched[index] = withPlan(container, cplan);
    plan.containers.push(cplan);
    plan.patch.push(...containerOps(index, container, cplan));
    plan.diff.push(`container ${name}:`, ...cplan.changes.map((c) => `  ${c}`));
  });
  plan.unresolved = listUnresolved({
    spec,
    containers: patched,
    initContainers: template?.spec?.initContainers ?? [],
    restartPolicy: template?.spec?.restartPolicy,
    reasons,
    name,
    namespace,
    templateAnnotations: template?.metadata?.annotations,
    workloadAnnotations: workload.metadata?.annotations,
    exemptions: options.exemptions,
  });
  if (plan.containers.length === 0) return { ...plan, outcome: plan.unresolved.length > 0 ? "unresolved" : "compliant" };
  plan.patch.push(...annotationOps(template?.metadata));
  plan.diff.push(`+ spec.template.metadata.annotations["${PATCHED_BY_ANNOTATION}"]: ${PATCHED_BY_VALUE}`);
  const hold = findRolloutHold(workload);
  return { ...plan, outcome: "planned", ...(hold ? { rolloutHold: hold } : {}) };
}
