/**
 * @module
 * The conditions that say a policy does less than its spec reads (decision 0034): Ready False
 * `InertNamespace` for a policy in a system namespace, whose pods nothing evaluates, and
 * `SpecValid` naming each spec field a stored policy had refused and the operator ignored. Each
 * becomes one Warning Event when it appears or changes, not one per requeue.
 */
import { isSystemNamespace } from "../namespaces.ts";
import type { PolicyIssue } from "../policy/parse-policy.ts";
import { readStoredSpec } from "../policy/read-stored-spec.ts";
import type { Condition, DevOpsPolicySpec, DevOpsPolicyStatus } from "../policy/schema.ts";

export const READY = "Ready";
export const SPEC_VALID = "SpecValid";

/** A condition before the clock is applied: `lastTransitionTime` comes from `setCondition`. */
export type ConditionInput = Omit<Condition, "lastTransitionTime">;

/** The top-level spec fields enforcement builds its patches from: while one is ignored, enforcement holds. */
export const ENFORCEMENT_INPUTS: ReadonlySet<string> = new Set(["defaultProbe", "defaultResources"]);

/**
 * `conditions` with `next` in place of its type; lastTransitionTime moves only when the status
 * changes ("the last time the condition transitioned from one status to another", the API
 * conventions; apimachinery's meta.SetStatusCondition), not when only reason or message do.
 */
export function setCondition(conditions: readonly Condition[] | undefined, next: ConditionInput, now: Date): Condition[] {
  const previous = conditions?.find((c) => c.type === next.type);
  const unchanged = previous && previous.status === next.status;
  const condition = { ...next, lastTransitionTime: unchanged ? previous.lastTransitionTime : now.toISOString() };
  return [...(conditions ?? []).filter((c) => c.type !== next.type), condition].sort((a, b) => conditionRank(a.type) - conditionRank(b.type));
}

/** Ready first, SpecValid second, any other (someone else's) after, in their order. */
function conditionRank(type: string): number {
  return type === READY ? 0 : type === SPEC_VALID ? 1 : 2;
}

/**
 * Why a policy in `namespace` can never see a pod, or undefined when it can: the operator, the
 * watch controller and admission all skip system namespaces (the reference's predicate), so its
 * score would be 100 over 0 pods, which reads as "governed and healthy".
 */
export function inertNamespaceMessage(namespace: string): string | undefined {
  if (!isSystemNamespace(namespace)) return undefined;
  return (
    `Not evaluated: ${namespace} is a system namespace (kube-*, *-system, cert-manager, monitoring, observability, argocd), ` +
    "whose pods the operator, the watch controller and admission all skip, so this policy checks nothing there; " +
    "create it in the namespace of the workloads it should govern"
  );
}

/** The top-level spec field an issue path (`spec.<field>…`) names. */
export function topLevelField(path: string): string | undefined {
  return path.split(".")[1];
}

/** True when enforcement must hold its patches: a field it builds them from was ignored. */
export function enforcementHeld(ignored: readonly PolicyIssue[]): boolean {
  return ignored.some((issue) => ENFORCEMENT_INPUTS.has(topLevelField(issue.path) ?? ""));
}

/** SpecValid for a spec read field by field (lib/policy/read-stored-spec.ts): which fields were left out, and whether enforcement holds. */
export function specValidCondition(ignored: readonly PolicyIssue[], observedGeneration: number | undefined, enforce: boolean): ConditionInput {
  const observed = observedGeneration === undefined ? {} : { observedGeneration };
  if (ignored.length === 0) return { type: SPEC_VALID, status: "True", reason: "Valid", message: "Every spec field applies", ...observed };
  const fields = ignored.map((i) => `${i.path}: ${i.message}`).join("; ");
  const hold = enforce && enforcementHeld(ignored) ? "; enforcement patches nothing until these fields are fixed, since its patches would be built from them" : "";
  return { type: SPEC_VALID, status: "False", reason: "FieldsIgnored", message: `Ignored, refused by the schema (the rest of the spec applies): ${fields}${hold}`, ...observed };
}

/** SpecValid for a spec that cannot be read at all (the whole policy is unused; Ready says the same). */
export function invalidSpecCondition(message: string, observedGeneration: number | undefined): ConditionInput {
  return { type: SPEC_VALID, status: "False", reason: "InvalidSpec", message, ...(observedGeneration === undefined ? {} : { observedGeneration }) };
}

/** What the operator takes from a stored spec: the spec it applies and SpecValid, or why it applies none. */
export type OperatorSpec =
  | { ok: true; spec: DevOpsPolicySpec; ignored: PolicyIssue[]; holdEnforcement: boolean; specCondition: ConditionInput }
  | { ok: false; error: string; specCondition: ConditionInput };

/**
 * Reads a stored spec as the webhook and the watch controller do (lib/policy/read-stored-spec.ts):
 * a top-level field the schema refuses is left out and named, the rest applies; only a spec that
 * is not an object at all is InvalidSpec as a whole.
 */
export function readOperatorSpec(spec: unknown, generation: number | undefined): OperatorSpec {
  const read = readStoredSpec(spec);
  if (!read.ok) {
    const error = `invalid spec: ${read.issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`;
    return { ok: false, error, specCondition: invalidSpecCondition(error, generation) };
  }
  const enforce = read.spec.enforcementMode === "enforce";
  return { ok: true, spec: read.spec, ignored: read.ignored, holdEnforcement: enforce && enforcementHeld(read.ignored), specCondition: specValidCondition(read.ignored, generation, enforce) };
}

export interface ConditionEvent {
  type: "Warning";
  reason: "InertNamespace" | "FieldsIgnored" | "InvalidSpec";
  message: string;
}

/**
 * The Warning Events for conditions that appeared or changed between `previous` and `next`: once
 * per change, and not again after an operator restart, since `previous` is the stored status.
 */
export function conditionEvents(previous: DevOpsPolicyStatus | undefined, next: DevOpsPolicyStatus): ConditionEvent[] {
  const out: ConditionEvent[] = [];
  const before = (type: string) => previous?.conditions?.find((c) => c.type === type);
  const ready = next.conditions?.find((c) => c.type === READY);
  if (ready && (ready.reason === "InertNamespace" || ready.reason === "InvalidSpec") && (before(READY)?.reason !== ready.reason || before(READY)?.message !== ready.message)) {
    out.push({ type: "Warning", reason: ready.reason, message: ready.message });
  }
  const spec = next.conditions?.find((c) => c.type === SPEC_VALID);
  if (spec?.reason === "FieldsIgnored" && (before(SPEC_VALID)?.reason !== spec.reason || before(SPEC_VALID)?.message !== spec.message)) {
    out.push({ type: "Warning", reason: "FieldsIgnored", message: spec.message });
  }
  return out;
}
